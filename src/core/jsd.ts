/**
 * Representation Jensen–Shannon divergence (Hoyos-Osorio & Sanchez-Giraldo), as the paper's
 * code computes it on embedding sets. All entropies in nats.
 *
 * (E9)  S(C) = −Σ λ̃ log λ̃ over eigenvalues λ > 0 of C, λ̃ = λ / Σλ.
 * (E10) For row-normalised A, B: JSD = S(mixture of C_A = AᵀA and C_B = BᵀB) − ½(S(C_A) + S(C_B)).
 * (E11) The non-zero eigenvalues of AᵀA (d×d) are those of the Gram matrix AAᵀ (n×n), and those of
 *       w_A·C_A + w_B·C_B are those of the Gram matrix of the stacked, scaled rows
 *       [√w_A·A; √w_B·B]. Whichever of n and d is smaller sets the size of the eigenproblem.
 *
 * Mixtures: 'equal' weights each set's covariance normalised to unit trace (w = 1/n), the
 * true JSD with equal priors, bounded by ln 2; 'sample-weighted' mixes the raw sums
 * (w = 1), which is what the authors' code does (weights n_A : n_B).
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

/**
 * An embedding set prepared for repeated JSD computations: rows normalised (float64), and
 * either its Gram matrix (n ≤ d) or its d×d scatter matrix (n > d), and its entropy S(AᵀA).
 */
export class RepresentationSet {
  readonly rows: Matrix<Float64Array>;
  readonly n: number;
  readonly d: number;
  /** n×n Gram matrix AAᵀ when n ≤ d, else null. */
  readonly gramMatrix: Float64Array | null;
  /** d×d AᵀA when n > d, else null. */
  readonly scatterMatrix: Float64Array | null;
  /** S(AᵀA), nats (E9). */
  readonly entropy: number;

  constructor(a: Matrix) {
    if (a.rows < 1) throw new RangeError('RepresentationSet: needs at least one row');
    this.rows = normalizeRows(a);
    this.n = a.rows;
    this.d = a.cols;
    if (this.n <= this.d) {
      this.gramMatrix = gram(this.rows);
      this.scatterMatrix = null;
      this.entropy = matrixEntropy(this.gramMatrix, this.n);
    } else {
      this.gramMatrix = null;
      this.scatterMatrix = scatter(this.rows);
      this.entropy = matrixEntropy(this.scatterMatrix, this.d);
    }
  }
}

/** S of the weighted mixture wA·AᵀA + wB·BᵀB, through whichever eigenproblem is smaller (E11). */
function mixtureEntropy(a: RepresentationSet, b: RepresentationSet, wa: number, wb: number): number {
  const d = a.d;
  const m = a.n + b.n;
  if (m <= d) {
    const ga = a.gramMatrix ?? gram(a.rows);
    const gb = b.gramMatrix ?? gram(b.rows);
    const g = mixtureGram(ga, gb, crossProducts(b.rows, a.rows), a.n, b.n, wa, wb);
    return matrixEntropy(g, m);
  }
  const ca = a.scatterMatrix ?? scatter(a.rows);
  const cb = b.scatterMatrix ?? scatter(b.rows);
  const c = new Float64Array(d * d);
  for (let k = 0; k < c.length; k++) c[k] = wa * ca[k] + wb * cb[k];
  mirrorLower(c, d);
  return matrixEntropy(c, d);
}

/** (E10) Representation JSD between two prepared sets. */
export function representationJsdPrepared(a: RepresentationSet, b: RepresentationSet, mixture: JsdMixture = 'equal'): number {
  if (a.d !== b.d) throw new RangeError(`representationJsd: dimensions differ (${a.d} vs ${b.d})`);
  const wa = mixture === 'equal' ? 1 / a.n : 1;
  const wb = mixture === 'equal' ? 1 / b.n : 1;
  return mixtureEntropy(a, b, wa, wb) - 0.5 * (a.entropy + b.entropy);
}

/**
 * (E10) Representation JSD between the row sets A [n_A, d] and B [n_B, d] (rows are
 * L2-normalised here). Example: two orthogonal unit vectors → ln 2 ≈ 0.693147.
 */
export function representationJsd(a: Matrix, b: Matrix, mixture: JsdMixture = 'equal'): number {
  return representationJsdPrepared(new RepresentationSet(a), new RepresentationSet(b), mixture);
}


/**
 * (E11) The stacked, weighted Gram matrix of [√w_A·A; √w_B·B] from its blocks G_AA (n_A×n_A),
 * G_BB (n_B×n_B) and G_BA = B·Aᵀ (n_B×n_A):
 * [[w_A·G_AA, √(w_A w_B)·G_BAᵀ], [√(w_A w_B)·G_BA, w_B·G_BB]]. Its spectrum is that of the
 * mixture w_A·AᵀA + w_B·BᵀB.
 */
export function mixtureGram(gaa: Float64Array, gbb: Float64Array, gba: Float64Array, na: number, nb: number, wa: number, wb: number): Float64Array {
  const m = na + nb;
  const g = new Float64Array(m * m);
  for (let i = 0; i < na; i++) for (let j = 0; j < na; j++) g[i * m + j] = wa * gaa[i * na + j];
  for (let i = 0; i < nb; i++) for (let j = 0; j < nb; j++) g[(na + i) * m + na + j] = wb * gbb[i * nb + j];
  const c = Math.sqrt(wa * wb);
  for (let i = 0; i < nb; i++) {
    for (let j = 0; j < na; j++) {
      const s = c * gba[i * na + j];
      g[(na + i) * m + j] = s;
      g[j * m + na + i] = s;
    }
  }
  return g;
}
