/**
 * KSG, the k-nearest-neighbour MI estimator of Kraskov, Stögbauer & Grassberger (2004),
 * algorithm 1, with the max-norm in every space:
 *   ε_i = distance from z_i = (x_i, y_i) to its k-th neighbour, ‖z‖ = max(‖x‖∞, ‖y‖∞);
 *   n_x(i) = #{j ≠ i : ‖x_j − x_i‖∞ < ε_i}, n_y(i) likewise;
 *   Î = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩.
 * Columns are standardised first (as bmi does), and a tiny seeded Gaussian jitter (1e-10 ×
 * max(1, mean|column|)) breaks ties, which the estimator assumes away. Neighbour counts are
 * exact (k-d trees, strict inequality). The estimate is not clipped at 0: negative values are
 * the estimator's honest sampling noise around a zero MI.
 */
import type { Matrix } from '../matrix.js';
import { Rng } from '../random.js';
import { KdTree } from './kdtree.js';
import { digamma } from './special.js';
import { standardize } from './standardize.js';
import { checkPaired, type EstimateOptions, type MiEstimate, type MiEstimator } from './types.js';

export interface KsgParams {
  /** Neighbours. Default 5 (bmi's choice; Kraskov et al. recommend 2–4 for low bias, larger k for lower variance). */
  readonly k: number;
  /** Standardise each column first. Default true. */
  readonly standardize: boolean;
  /** Relative size of the tie-breaking jitter. Default 1e-10. */
  readonly noise: number;
}

export const KSG_DEFAULTS: KsgParams = { k: 5, standardize: true, noise: 1e-10 };

function prepare(m: Matrix, params: KsgParams, rng: Rng): Float64Array {
  const s = params.standardize ? standardize(m) : { ...m, data: Float64Array.from(m.data) };
  const { rows: n, cols: d, data } = s;
  if (params.noise > 0) {
    const scale = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) scale[j] += Math.abs(data[i * d + j]) / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] += params.noise * Math.max(1, scale[j]) * rng.normal();
  }
  return data;
}

/** KSG on already prepared (standardised, jittered) rows; `idx` selects a subset (no repeats). */
function ksgCore(x: Float64Array, dx: number, y: Float64Array, dy: number, k: number, idx: Int32Array): number {
  const n = idx.length;
  if (k >= n) throw new RangeError(`ksg: k = ${k} needs more than ${k} rows, got ${n}`);
  const d = dx + dy;
  const xs = new Float64Array(n * dx);
  const ys = new Float64Array(n * dy);
  const zs = new Float64Array(n * d);
  for (let a = 0; a < n; a++) {
    const i = idx[a];
    for (let j = 0; j < dx; j++) { xs[a * dx + j] = x[i * dx + j]; zs[a * d + j] = x[i * dx + j]; }
    for (let j = 0; j < dy; j++) { ys[a * dy + j] = y[i * dy + j]; zs[a * d + dx + j] = y[i * dy + j]; }
  }
  const tz = new KdTree(zs, n, d);
  const tx = new KdTree(xs, n, dx);
  const ty = new KdTree(ys, n, dy);
  const qz = new Float64Array(d);
  const qx = new Float64Array(dx);
  const qy = new Float64Array(dy);
  let sum = 0;
  // Visit points in the joint tree's order: consecutive points are close, so the previous
  // point's ε plus their distance bounds this one's (its k neighbours, or the previous point
  // itself, all lie within it), which prunes the search from the start.
  let prev = -1;
  let prevEps = Infinity;
  for (let t = 0; t < n; t++) {
    const a = tz.order[t];
    for (let j = 0; j < d; j++) qz[j] = zs[a * d + j];
    for (let j = 0; j < dx; j++) qx[j] = xs[a * dx + j];
    for (let j = 0; j < dy; j++) qy[j] = ys[a * dy + j];
    let bound = Infinity;
    if (prev >= 0) {
      let gap = 0;
      for (let j = 0; j < d; j++) gap = Math.max(gap, Math.abs(zs[prev * d + j] - qz[j]));
      // A relative margin keeps the bound valid under floating-point rounding.
      bound = (prevEps + gap) * (1 + 1e-9) + 1e-300;
    }
    const eps = tz.kthDistance(qz, k, a, bound);
    prev = a;
    prevEps = eps;
    // countWithin includes the point itself (distance 0 < ε): subtract it.
    const nx = tx.countWithin(qx, eps) - 1;
    const ny = ty.countWithin(qy, eps) - 1;
    sum += digamma(nx + 1) + digamma(ny + 1);
  }
  return digamma(k) + digamma(n) - sum / n;
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** KSG estimate of I(X; Y) in nats (algorithm 1). */
export function ksgMi(x: Matrix, y: Matrix, params: Partial<KsgParams> = {}, seed = 0): number {
  const p: KsgParams = { ...KSG_DEFAULTS, ...params };
  checkPaired(x, y, 'ksg', p.k + 1);
  const rng = new Rng(seed);
  return ksgCore(prepare(x, p, rng), x.cols, prepare(y, p, rng), y.cols, p.k, identity(x.rows));
}

export function ksgEstimator(params: Partial<KsgParams> = {}): MiEstimator {
  const p: KsgParams = { ...KSG_DEFAULTS, ...params };
  if (!Number.isInteger(p.k) || p.k < 1) throw new RangeError(`ksg: k must be a positive integer, got ${p.k}`);
  return {
    name: 'ksg',
    params: { ...p },
    async estimate(x: Matrix, y: Matrix, options: EstimateOptions = {}): Promise<MiEstimate> {
      checkPaired(x, y, 'ksg', 2 * p.k + 2);
      const seed = options.seed ?? 0;
      const rng = new Rng(seed);
      const xs = prepare(x, p, rng);
      const ys = prepare(y, p, rng);
      const n = x.rows;
      const mi = ksgCore(xs, x.cols, ys, y.cols, p.k, identity(n));
      const b = options.bootstrap ?? 0;
      let ci95: [number, number] | null = null;
      if (b > 0) {
        // Half-sampling without replacement (bootstrap duplicates would be zero-distance
        // neighbours). Subsets of m rows of one sample of n vary less than independent samples of
        // m by the finite-population factor (1 − m/n), so sd(θ̂) ≈ √(m/(n − m))·sd(θ_m) (exact
        // for a mean; the factor is 1 at m = n/2). A normal interval θ̂ ± 1.96·sd is used: the
        // tail quantiles of a few dozen replicates would be too noisy.
        const m = Math.floor(n / 2);
        const sub = new Rng(seed ^ 0x5bd1e995);
        const reps = new Float64Array(b);
        for (let r = 0; r < b; r++) reps[r] = ksgCore(xs, x.cols, ys, y.cols, p.k, sub.permutation(n).subarray(0, m));
        let mean = 0;
        for (let r = 0; r < b; r++) mean += reps[r] / b;
        let v = 0;
        for (let r = 0; r < b; r++) v += (reps[r] - mean) ** 2;
        const sd = Math.sqrt((v / Math.max(1, b - 1)) * (m / (n - m)));
        ci95 = [mi - 1.959964 * sd, mi + 1.959964 * sd];
      }
      return { mi, ci95, ciMethod: ci95 ? 'subsampling-rows' : 'none', n, dx: x.cols, dy: y.cols };
    },
  };
}
