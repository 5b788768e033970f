/**
 * CLUB, the contrastive log-ratio upper bound of mutual information (Cheng et al., ICML 2020),
 * with the network the paper uses (DESIGN.md §2):
 *   μ(x) = W2·tanh(W1·x + b1) + b2,   logvar(x) = tanh(W4·tanh(W3·x + b3) + b4).
 * Weights are in torch's [out, in] layout.
 */
import { linear, tanhInPlace } from './linalg.js';
import type { FloatArray, Matrix } from './matrix.js';

export interface ClubNetwork {
  /** p_mu.0: [hidden, xDim], p_mu.2: [yDim, hidden]. */
  readonly muW1: Matrix;
  readonly muB1: FloatArray;
  readonly muW2: Matrix;
  readonly muB2: FloatArray;
  /** p_logvar.0: [hidden, xDim], p_logvar.2: [yDim, hidden]. */
  readonly lvW1: Matrix;
  readonly lvB1: FloatArray;
  readonly lvW2: Matrix;
  readonly lvB2: FloatArray;
  /**
   * Whether the log-variance head ends in tanh (the paper's architecture, σ² ≥ e⁻¹). A
   * calibrated variant may leave it unbounded.
   */
  readonly boundedLogvar: boolean;
}

export function clubInputDim(net: ClubNetwork): number {
  return net.muW1.cols;
}

export function clubOutputDim(net: ClubNetwork): number {
  return net.muW2.rows;
}

/** The Gaussian q(y|x) = N(μ(x), diag(exp(logvar(x)))) for every row of x. */
export interface ClubMoments {
  readonly mu: Matrix<Float64Array>;
  readonly logvar: Matrix<Float64Array>;
}

/** Network forward pass in float64 (plain JS; see accel/ for the onnxruntime path). */
export function clubForward(net: ClubNetwork, x: Matrix): ClubMoments {
  if (x.cols !== clubInputDim(net)) {
    throw new RangeError(`clubForward: x has ${x.cols} columns, the estimator expects ${clubInputDim(net)}`);
  }
  const h1 = linear(x, net.muW1, net.muB1);
  tanhInPlace(h1.data);
  const mu = linear(h1, net.muW2, net.muB2);
  const h2 = linear(x, net.lvW1, net.lvB1);
  tanhInPlace(h2.data);
  const logvar = linear(h2, net.lvW2, net.lvB2);
  if (net.boundedLogvar) tanhInPlace(logvar.data);
  return { mu, logvar };
}

/**
 * The per-element precisions 1/(2·exp(lv_id)) of the moments, computed once and shared by
 * every CLUB term on the same queries (E8 uses two).
 */
export function halfPrecisions(moments: ClubMoments): Float64Array {
  const lv = moments.logvar.data;
  const out = new Float64Array(lv.length);
  for (let k = 0; k < lv.length; k++) out[k] = 0.5 * Math.exp(-lv[k]);
  return out;
}

/**
 * The per-row parts of E7 that do not depend on row weights, computed once so that every
 * bootstrap or permutation replicate costs four weighted column sums (see clubFromRowTerms):
 * c_i = Σ_d π_id·(μ_id² − (μ_id − y_id)²), π = 1/(2·exp(lv)) and μ·π.
 */
export interface ClubRowTerms {
  readonly n: number;
  readonly d: number;
  readonly c: Float64Array;
  /** π [n, d] (the half precisions) and μ·π [n, d]. */
  readonly precisions: Float64Array;
  readonly muPrecisions: Float64Array;
  readonly y: FloatArray;
}

export function clubRowTerms(moments: ClubMoments, y: Matrix, precisions: Float64Array = halfPrecisions(moments), muPrecisions?: Float64Array): ClubRowTerms {
  const { mu } = moments;
  const n = y.rows;
  const d = y.cols;
  if (mu.rows !== n || mu.cols !== d) {
    throw new RangeError(`clubFromMoments: y is [${n}, ${d}] but μ is [${mu.rows}, ${mu.cols}]`);
  }
  const md = mu.data;
  const yd = y.data;
  let mp = muPrecisions;
  if (!mp) {
    mp = new Float64Array(n * d);
    for (let k = 0; k < mp.length; k++) mp[k] = md[k] * precisions[k];
  }
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s = 0;
    for (let t = 0; t < d; t++) {
      const m = md[o + t];
      const diff = m - yd[o + t];
      s += (m * m - diff * diff) * precisions[o + t];
    }
    c[i] = s;
  }
  return { n, d, c, precisions, muPrecisions: mp, y: yd };
}

/**
 * (E7) CLUB(x, y) = mean_i Σ_d [ −(μ_id − y_id)² + mean_j (y_jd − μ_id)² ] / (2·exp(lv_id)).
 * Expanding the inner mean (ȳ_d = mean_j y_jd, m2_d = mean_j y_jd²) gives
 *   mean_i c_i + Σ_d [ m2_d·mean_i π_id − 2·ȳ_d·mean_i μ_id π_id ],
 * O(n·d) in time and memory (never the n×n×d tensor). With row `weights` (non-negative; the
 * Bayesian bootstrap's, or a permutation's 0/1 membership) every mean is a weighted mean,
 * w̃ = w/Σw, and rows of weight 0 cost nothing; all weights 1 is the plain estimate.
 */
export function clubFromRowTerms(terms: ClubRowTerms, weights?: ArrayLike<number>): number {
  return clubFromSums(clubSums(terms, weights));
}

/** The weighted sums E7 needs: Σw, Σ w_i c_i and the column sums Σ w·y, Σ w·y², Σ w·π, Σ w·μπ. */
export interface ClubSums {
  readonly total: number;
  readonly rows: number;
  readonly sumY: Float64Array;
  readonly sumY2: Float64Array;
  readonly sumP: Float64Array;
  readonly sumMP: Float64Array;
}

export function clubSums(terms: ClubRowTerms, weights?: ArrayLike<number>): ClubSums {
  const { n, d, c, precisions, muPrecisions, y } = terms;
  if (weights && weights.length !== n) throw new RangeError(`clubFromMoments: ${weights.length} weights for ${n} rows`);
  const sumY = new Float64Array(d);
  const sumY2 = new Float64Array(d);
  const sumP = new Float64Array(d);
  const sumMP = new Float64Array(d);
  let total = 0;
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    if (w === 0) continue;
    total += w;
    rows += w * c[i];
    const o = i * d;
    for (let t = 0; t < d; t++) {
      const v = y[o + t];
      const wv = w * v;
      sumY[t] += wv;
      sumY2[t] += wv * v;
      sumP[t] += w * precisions[o + t];
      sumMP[t] += w * muPrecisions[o + t];
    }
  }
  return { total, rows, sumY, sumY2, sumP, sumMP };
}

/** Sums over the complement: all rows' sums minus a subset's (a permutation's other set). */
export function clubSumsComplement(all: ClubSums, part: ClubSums): ClubSums {
  const minus = (a: Float64Array, b: Float64Array): Float64Array => a.map((v, t) => v - b[t]);
  return { total: all.total - part.total, rows: all.rows - part.rows, sumY: minus(all.sumY, part.sumY), sumY2: minus(all.sumY2, part.sumY2), sumP: minus(all.sumP, part.sumP), sumMP: minus(all.sumMP, part.sumMP) };
}

/** (E7) from the weighted sums: rows/W + Σ_d (Σwy²·Σwπ − 2·Σwy·Σwμπ)/W². */
export function clubFromSums(s: ClubSums): number {
  let cols = 0;
  for (let t = 0; t < s.sumY.length; t++) cols += s.sumY2[t] * s.sumP[t] - 2 * s.sumY[t] * s.sumMP[t];
  return s.rows / s.total + cols / (s.total * s.total);
}

/**
 * (E7) CLUB from the network's moments on x and the targets y (see clubFromRowTerms).
 * `precisions` (from halfPrecisions) may be passed to share the exponentials between calls.
 */
export function clubFromMoments(moments: ClubMoments, y: Matrix, precisions: Float64Array = halfPrecisions(moments), weights?: ArrayLike<number>): number {
  return clubFromRowTerms(clubRowTerms(moments, y, precisions), weights);
}

/** (E7) CLUB(x, y) with the network run on x. */
export function clubEstimate(net: ClubNetwork, x: Matrix, y: Matrix): number {
  if (x.rows !== y.rows) throw new RangeError(`clubEstimate: x has ${x.rows} rows, y has ${y.rows}`);
  return clubFromMoments(clubForward(net, x), y);
}
