/**
 * Representation Jensen–Shannon divergence (Hoyos-Osorio & Sanchez-Giraldo), as the paper's
 * code computes it on embedding sets, with optional row weights (unit weights are the plain
 * statistic; Dirichlet weights serve the Bayesian bootstrap). All entropies in nats.
 *
 * (E9)  S(C) = −Σ λ̃ log λ̃ over eigenvalues λ > 0 of C, λ̃ = λ / Σλ.
 * (E10) For row-normalised A, B: JSD = S(mixture of C_A = Σ w_i a_i a_iᵀ and C_B) − ½(S(C_A) + S(C_B)).
 * (E11) The non-zero eigenvalues of Σ w_i a_i a_iᵀ (d×d) are those of the weighted Gram matrix
 *       D^½ G D^½ (n×n, G = AAᵀ, D = diag(w)), and those of the mixture are those of the Gram
 *       matrix of the stacked, scaled rows. Whichever of n and d is smaller sets the size of the
 *       eigenproblem, so a reweighting needs one eigensolve but no new products.
 *
 * Mixtures: 'equal' weights each set's covariance normalised to unit trace (c = 1/Σw), the
 * true JSD with equal priors, bounded by ln 2; 'sample-weighted' mixes the raw sums
 * (c = 1), which is what the authors' code does (weights n_A : n_B).
 */
import { symmetricEigenvalues } from './eigen.js';
import { crossProducts, gram, mirrorLower, scatter } from './linalg.js';
import { normalizeRows, type Matrix } from './matrix.js';

export type JsdMixture = 'equal' | 'sample-weighted';

/** (E9) Von Neumann entropy of the trace-normalised spectrum; eigenvalues ≤ 0 are ignored. */
export function vonNeumannEntropy(eigenvalues: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < eigenvalues.length; i++) if (eigenvalues[i] > 0) total += eigenvalues[i];
  if (!(total > 0)) return 0;
  let s = 0;
  for (let i = 0; i < eigenvalues.length; i++) {
    const l = eigenvalues[i];
    if (l > 0) {
      const p = l / total;
      s -= p * Math.log(p);
    }
  }
  return s;
}

/**
 * (E9) Entropy of an n×n symmetric positive semi-definite matrix (row-major): a covariance
 * AᵀA, or by E11 the Gram matrix AAᵀ, which has the same non-zero spectrum.
 */
export function matrixEntropy(c: Float64Array, n: number): number {
  return vonNeumannEntropy(symmetricEigenvalues(c, n));
}

/** A symmetric n×n eigenproblem (row-major, both triangles filled). */
export interface SymmetricMatrix {
  readonly n: number;
  readonly data: Float64Array;
}

/**
 * An embedding set prepared for repeated JSD computations: rows normalised (float64); its Gram
 * matrix AAᵀ and d×d scatter AᵀA are computed on first use (or supplied, e.g. by a GEMM
 * backend, through useGram/useScatter) and kept.
 */
export class RepresentationSet {
  readonly rows: Matrix<Float64Array>;
  readonly n: number;
  readonly d: number;
  private gramCache: Float64Array | null = null;
  private scatterCache: Float64Array | null = null;
  private entropyCache: number | null = null;

  /** `a` is row-normalised here unless `normalized` says it already is. */
  constructor(a: Matrix, normalized = false) {
    if (a.rows < 1) throw new RangeError('RepresentationSet: needs at least one row');
    this.rows = normalized && a.data instanceof Float64Array ? (a as Matrix<Float64Array>) : normalizeRows(a);
    this.n = a.rows;
    this.d = a.cols;
  }

  /** Whether this set's own entropy is computed from its Gram matrix (n ≤ d) or its scatter. */
  get selfRoute(): 'gram' | 'scatter' {
    return this.n <= this.d ? 'gram' : 'scatter';
  }

  /** n×n Gram matrix AAᵀ (shared: do not modify). */
  gram(): Float64Array {
    this.gramCache ??= gram(this.rows);
    return this.gramCache;
  }

  /** d×d scatter matrix AᵀA (shared: do not modify). */
  scatter(): Float64Array {
    this.scatterCache ??= scatter(this.rows);
    return this.scatterCache;
  }

  useGram(g: Float64Array): void {
    if (g.length !== this.n * this.n) throw new RangeError(`useGram: expected ${this.n * this.n} values, got ${g.length}`);
    this.gramCache = g;
  }

  useScatter(c: Float64Array): void {
    if (c.length !== this.d * this.d) throw new RangeError(`useScatter: expected ${this.d * this.d} values, got ${c.length}`);
    this.scatterCache = c;
  }

  /** S(AᵀA), nats (E9), unit weights; computed once. */
  get entropy(): number {
    if (this.entropyCache === null) {
      const m = selfMatrix(this);
      this.entropyCache = matrixEntropy(m.data, m.n);
    }
    return this.entropyCache;
  }
}

/**
 * How a set enters a matrix: a scalar c multiplies every entry (unit weights), per-row scales
 * s_i = √(c·w_i) multiply row i and column i. c = 1/Σw for 'equal', 1 for 'sample-weighted'.
 */
type Scale = number | Float64Array;

function setScale(n: number, w: ArrayLike<number> | undefined, mixture: JsdMixture): Scale {
  if (!w) return mixture === 'equal' ? 1 / n : 1;
  if (w.length !== n) throw new RangeError(`representationJsd: ${w.length} weights for ${n} rows`);
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i];
  const c = mixture === 'equal' ? 1 / total : 1;
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = Math.sqrt(w[i] * c);
  return s;
}

const perRow = (s: Scale, n: number): Float64Array => (typeof s === 'number' ? new Float64Array(n).fill(Math.sqrt(s)) : s);

/**
 * The block g [rows × cols] scaled by s_i·s_j (both scalar: by √(c_i·c_j), which is c on a
 * diagonal block), written at (r0, c0) of the m×m output and, if `mirror`, at its transpose.
 */
function scaledBlock(out: Float64Array, m: number, r0: number, c0: number, g: Float64Array, rows: number, cols: number, si: Scale, sj: Scale, mirror: boolean): void {
  if (typeof si === 'number' && typeof sj === 'number') {
    const c = si === sj ? si : Math.sqrt(si * sj);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const x = c * g[i * cols + j];
        out[(r0 + i) * m + c0 + j] = x;
        if (mirror) out[(c0 + j) * m + r0 + i] = x;
      }
    }
    return;
  }
  const a = perRow(si, rows);
  const b = perRow(sj, cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = a[i] * b[j] * g[i * cols + j];
      out[(r0 + i) * m + c0 + j] = x;
      if (mirror) out[(c0 + j) * m + r0 + i] = x;
    }
  }
}

/** Adds the set's scaled scatter Σ_i s_i² r_i r_iᵀ (lower triangle at least); a scalar c multiplies the cached AᵀA. */
function addScatter(set: RepresentationSet, s: Scale, into: Float64Array): void {
  if (typeof s === 'number') {
    const c = set.scatter();
    for (let k = 0; k < into.length; k++) into[k] += s * c[k];
  } else {
    scatter(set.rows, s, into);
  }
}

/** Optional row weights of the two sets and the cross products B·Aᵀ, when already known. */
export interface JsdOptions {
  readonly mixture?: JsdMixture;
  /** Non-negative row weights of A (default: all 1). */
  readonly weightsA?: ArrayLike<number>;
  readonly weightsB?: ArrayLike<number>;
  /** B·Aᵀ [n_B, n_A] of the normalised rows (Gram route only; computed here if absent). */
  readonly crossBA?: Float64Array;
}

/**
 * (E9–E11) The matrix whose spectrum is that of the set's (weighted) covariance Σ w_i a_i a_iᵀ:
 * the weighted Gram D^½ G D^½ when n ≤ d, else the d×d scatter. A new array.
 */
export function selfMatrix(set: RepresentationSet, w?: ArrayLike<number>): SymmetricMatrix {
  const s = setScale(set.n, w, 'sample-weighted');
  if (set.selfRoute === 'gram') {
    const n = set.n;
    if (typeof s === 'number') return { n, data: Float64Array.from(set.gram()) };
    const out = new Float64Array(n * n);
    scaledBlock(out, n, 0, 0, set.gram(), n, n, s, s, false);
    return { n, data: out };
  }
  const d = set.d;
  const out = new Float64Array(d * d);
  if (typeof s === 'number') out.set(set.scatter());
  else {
    scatter(set.rows, s, out);
    mirrorLower(out, d);
  }
  return { n: d, data: out };
}

/**
 * (E10–E11) The mixture c_A·C_A + c_B·C_B of the (weighted) covariances as its smaller
 * eigenproblem: the stacked Gram matrix [[S_A G_AA S_A, S_A G_BAᵀ S_B], [S_B G_BA S_A, S_B G_BB S_B]]
 * with S = diag(√(c·w)) when n_A + n_B ≤ d, else the d×d sum. A new array.
 */
export function mixtureMatrix(a: RepresentationSet, b: RepresentationSet, options: JsdOptions = {}): SymmetricMatrix {
  if (a.d !== b.d) throw new RangeError(`representationJsd: dimensions differ (${a.d} vs ${b.d})`);
  const mixture = options.mixture ?? 'equal';
  const sa = setScale(a.n, options.weightsA, mixture);
  const sb = setScale(b.n, options.weightsB, mixture);
  const m = a.n + b.n;
  if (m <= a.d) {
    const gba = options.crossBA ?? crossProducts(b.rows, a.rows);
    if (gba.length !== a.n * b.n) throw new RangeError(`mixtureMatrix: cross products have ${gba.length} values, expected ${a.n * b.n}`);
    const g = new Float64Array(m * m);
    scaledBlock(g, m, 0, 0, a.gram(), a.n, a.n, sa, sa, false);
    scaledBlock(g, m, a.n, a.n, b.gram(), b.n, b.n, sb, sb, false);
    scaledBlock(g, m, a.n, 0, gba, b.n, a.n, sb, sa, true);
    return { n: m, data: g };
  }
  const d = a.d;
  const c = new Float64Array(d * d);
  addScatter(a, sa, c);
  addScatter(b, sb, c);
  mirrorLower(c, d);
  return { n: d, data: c };
}

/** (E10) JSD from the entropies of the mixture and of the two sets. */
export function jsdFromEntropies(mixtureEntropy: number, entropyA: number, entropyB: number): number {
  return mixtureEntropy - 0.5 * (entropyA + entropyB);
}

/** (E10) Representation JSD between two prepared sets, optionally row-weighted. */
export function representationJsdPrepared(a: RepresentationSet, b: RepresentationSet, options: JsdOptions = {}): number {
  const mix = mixtureMatrix(a, b, options);
  const ent = (s: RepresentationSet, w?: ArrayLike<number>): number => {
    if (!w) return s.entropy;
    const m = selfMatrix(s, w);
    return matrixEntropy(m.data, m.n);
  };
  return jsdFromEntropies(matrixEntropy(mix.data, mix.n), ent(a, options.weightsA), ent(b, options.weightsB));
}

/**
 * (E10) Representation JSD between the row sets A [n_A, d] and B [n_B, d] (rows are
 * L2-normalised here). Example: two orthogonal unit vectors → ln 2 ≈ 0.693147.
 */
export function representationJsd(a: Matrix, b: Matrix, mixture: JsdMixture = 'equal', options: Omit<JsdOptions, 'mixture'> = {}): number {
  return representationJsdPrepared(new RepresentationSet(a), new RepresentationSet(b), { ...options, mixture });
}
