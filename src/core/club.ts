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
 * (E7) CLUB(x, y) = mean_i Σ_d [ −(μ_id − y_id)² + mean_j (y_jd − μ_id)² ] / (2·exp(lv_id)).
 * The inner mean over j expands to  m2_d − 2·μ_id·ȳ_d + μ_id², with ȳ_d = mean_j y_jd and
 * m2_d = mean_j y_jd², so the estimate is O(n·d) in time and memory (never the n×n×d tensor).
 * `precisions` (from halfPrecisions) may be passed to share the exponentials between calls.
 * With row `weights` (non-negative; the Bayesian bootstrap's) both means are weighted means,
 * w̃ = w/Σw; all weights 1 is the plain estimate.
 */
export function clubFromMoments(moments: ClubMoments, y: Matrix, precisions: Float64Array = halfPrecisions(moments), weights?: ArrayLike<number>): number {
  const { mu } = moments;
  const n = y.rows;
  const d = y.cols;
  if (mu.rows !== n || mu.cols !== d) {
    throw new RangeError(`clubFromMoments: y is [${n}, ${d}] but μ is [${mu.rows}, ${mu.cols}]`);
  }
  if (weights && weights.length !== n) throw new RangeError(`clubFromMoments: ${weights.length} weights for ${n} rows`);
  let totalWeight = n;
  if (weights) {
    totalWeight = 0;
    for (let i = 0; i < n; i++) totalWeight += weights[i];
  }
  const yd = y.data;
  const mean = new Float64Array(d);
  const meanSq = new Float64Array(d);
  for (let j = 0; j < n; j++) {
    const wj = weights ? weights[j] : 1;
    if (wj === 0) continue;
    const o = j * d;
    for (let t = 0; t < d; t++) {
      const v = yd[o + t];
      mean[t] += wj * v;
      meanSq[t] += wj * v * v;
    }
  }
  for (let t = 0; t < d; t++) {
    mean[t] /= totalWeight;
    meanSq[t] /= totalWeight;
  }
  let total = 0;
  const md = mu.data;
  for (let i = 0; i < n; i++) {
    const wi = weights ? weights[i] : 1;
    if (wi === 0) continue;
    const o = i * d;
    let s = 0;
    for (let t = 0; t < d; t++) {
      const m = md[o + t];
      const diff = m - yd[o + t];
      const positive = -diff * diff;
      const negative = meanSq[t] - 2 * m * mean[t] + m * m;
      s += (positive + negative) * precisions[o + t];
    }
    total += wi * s;
  }
  return total / totalWeight;
}

/** (E7) CLUB(x, y) with the network run on x. */
export function clubEstimate(net: ClubNetwork, x: Matrix, y: Matrix): number {
  if (x.rows !== y.rows) throw new RangeError(`clubEstimate: x has ${x.rows} rows, y has ${y.rows}`);
  return clubFromMoments(clubForward(net, x), y);
}
