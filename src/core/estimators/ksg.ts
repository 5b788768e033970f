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
 *
 * The per-point terms t_i = ψ(n_x(i) + 1) + ψ(n_y(i) + 1) are independent of one another, so
 * any split of the points over threads gives the same t_i (ε_i is always one exact computed
 * distance, whatever bound or visit order found it). They are summed in index order, in float64
 * (≤ ~1e-12 relative error at n = 10⁵), so Î is bit-identical whichever `KsgRunner` computed
 * the terms: `inThreadKsg` here, or the worker pool in accel/ksg-pool.ts.
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

/** X and Y after preparation (standardised, jittered), float64, paired by row. */
export interface KsgData {
  readonly x: Matrix<Float64Array>;
  readonly y: Matrix<Float64Array>;
}

function prepare(m: Matrix, params: KsgParams, rng: Rng): Matrix<Float64Array> {
  const s = params.standardize ? standardize(m) : { ...m, data: Float64Array.from(m.data) };
  const { rows: n, cols: d, data } = s;
  if (params.noise > 0) {
    const scale = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) scale[j] += Math.abs(data[i * d + j]) / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] += params.noise * Math.max(1, scale[j]) * rng.normal();
  }
  return { rows: n, cols: d, data };
}

/** Standardise and jitter X then Y, with one generator seeded by `seed`. */
export function prepareKsg(x: Matrix, y: Matrix, params: KsgParams, seed: number): KsgData {
  const rng = new Rng(seed);
  const px = prepare(x, params, rng);
  return { x: px, y: prepare(y, params, rng) };
}

/**
 * The joint, X and Y k-d trees over the rows `idx` (no repeats) of prepared data. `terms`
 * handles a range of joint-tree positions, so that consecutive queries are close; a worker
 * handles a contiguous range of them.
 */
export class KsgTrees {
  /** Number of points (rows in the subset). */
  readonly n: number;
  private readonly dx: number;
  private readonly dy: number;
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private readonly zs: Float64Array;
  private readonly tz: KdTree;
  private readonly tx: KdTree;
  private readonly ty: KdTree;

  constructor(data: KsgData, idx: Int32Array) {
    const n = idx.length;
    const dx = data.x.cols;
    const dy = data.y.cols;
    const d = dx + dy;
    const x = data.x.data;
    const y = data.y.data;
    const xs = new Float64Array(n * dx);
    const ys = new Float64Array(n * dy);
    const zs = new Float64Array(n * d);
    for (let a = 0; a < n; a++) {
      const i = idx[a];
      for (let j = 0; j < dx; j++) { xs[a * dx + j] = x[i * dx + j]; zs[a * d + j] = x[i * dx + j]; }
      for (let j = 0; j < dy; j++) { ys[a * dy + j] = y[i * dy + j]; zs[a * d + dx + j] = y[i * dy + j]; }
    }
    this.n = n;
    this.dx = dx;
    this.dy = dy;
    this.xs = xs;
    this.ys = ys;
    this.zs = zs;
    this.tz = new KdTree(zs, n, d);
    this.tx = new KdTree(xs, n, dx);
    this.ty = new KdTree(ys, n, dy);
  }

  /**
   * t_a = ψ(n_x(a) + 1) + ψ(n_y(a) + 1) for the points at joint-tree positions [from, to),
   * written to out[a] (a = position in `idx`).
   */
  terms(k: number, from: number, to: number, out: Float64Array): void {
    const { n, dx, dy, xs, ys, zs, tz, tx, ty } = this;
    if (k >= n) throw new RangeError(`ksg: k = ${k} needs more than ${k} rows, got ${n}`);
    const d = dx + dy;
    const qz = new Float64Array(d);
    const qx = new Float64Array(dx);
    const qy = new Float64Array(dy);
    // Consecutive tree positions are close: the previous point's ε plus their distance bounds
    // this one's (its k neighbours, or the previous point itself, all lie within it), which
    // prunes the search from the start.
    let prev = -1;
    let prevEps = Infinity;
    for (let t = from; t < to; t++) {
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
      out[a] = digamma(nx + 1) + digamma(ny + 1);
    }
  }
}

/** Î = ψ(k) + ψ(n) − (Σ_a t_a)/n, summed in index order. */
export function ksgFromTerms(terms: Float64Array, k: number): number {
  const n = terms.length;
  let sum = 0;
  for (let a = 0; a < n; a++) sum += terms[a];
  return digamma(k) + digamma(n) - sum / n;
}

/** All per-point terms over the rows `idx`, in this thread. */
export function ksgTerms(data: KsgData, k: number, idx: Int32Array): Float64Array {
  const trees = new KsgTrees(data, idx);
  const out = new Float64Array(trees.n);
  trees.terms(k, 0, trees.n, out);
  return out;
}

/** KSG on the rows `idx` (no repeats) of prepared data, in this thread. */
export function ksgSubset(data: KsgData, k: number, idx: Int32Array): number {
  return ksgFromTerms(ksgTerms(data, k, idx), k);
}

/** The rows 0, 1, …, n − 1. */
export function identityIndex(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/**
 * Computes the KSG work. Implementations must return exactly what the in-thread functions
 * return: `terms` = ksgTerms(data, k, all rows), `subsets[r]` = ksgSubset(data, k, subsets[r]).
 */
export interface KsgRunner {
  terms(data: KsgData, k: number): Promise<Float64Array>;
  subsets(data: KsgData, k: number, subsets: readonly Int32Array[]): Promise<Float64Array>;
}

export const inThreadKsg: KsgRunner = {
  terms: async (data, k) => ksgTerms(data, k, identityIndex(data.x.rows)),
  subsets: async (data, k, subsets) => Float64Array.from(subsets, (idx) => ksgSubset(data, k, idx)),
};

export interface KsgEstimatorHooks {
  /** Where the neighbour searches run; in this thread by default (accel/ksg-pool.ts has a worker pool). */
  readonly runner?: KsgRunner;
}

/** KSG estimate of I(X; Y) in nats (algorithm 1), in this thread. */
export function ksgMi(x: Matrix, y: Matrix, params: Partial<KsgParams> = {}, seed = 0): number {
  const p: KsgParams = { ...KSG_DEFAULTS, ...params };
  checkPaired(x, y, 'ksg', p.k + 1);
  return ksgSubset(prepareKsg(x, y, p, seed), p.k, identityIndex(x.rows));
}

export function ksgEstimator(params: Partial<KsgParams> = {}, hooks: KsgEstimatorHooks = {}): MiEstimator {
  const p: KsgParams = { ...KSG_DEFAULTS, ...params };
  if (!Number.isInteger(p.k) || p.k < 1) throw new RangeError(`ksg: k must be a positive integer, got ${p.k}`);
  const runner = hooks.runner ?? inThreadKsg;
  return {
    name: 'ksg',
    params: { ...p },
    async estimate(x: Matrix, y: Matrix, options: EstimateOptions = {}): Promise<MiEstimate> {
      checkPaired(x, y, 'ksg', 2 * p.k + 2);
      const seed = options.seed ?? 0;
      const data = prepareKsg(x, y, p, seed);
      const n = x.rows;
      const mi = ksgFromTerms(await runner.terms(data, p.k), p.k);
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
        const subsets = Array.from({ length: b }, () => sub.permutation(n).slice(0, m));
        const reps = await runner.subsets(data, p.k, subsets);
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
