/**
 * Resampling helpers: percentile intervals, row bootstraps and permutation p-values. Every
 * draw comes from a seeded Rng, so intervals are reproducible.
 */
import { Rng } from './random.js';

/**
 * The q-quantile of `values` (linear interpolation between order statistics, NumPy's default
 * "linear" method). Non-finite values are an error: an interval over them would be meaningless.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) throw new RangeError('quantile: no values');
  const s = Float64Array.from(values).sort();
  if (!Number.isFinite(s[0]) || !Number.isFinite(s[n - 1])) throw new RangeError('quantile: non-finite value');
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/** Percentile interval [q(α/2), q(1 − α/2)] of bootstrap replicates (α = 0.05 for 95 %). */
export function percentileInterval(replicates: ArrayLike<number>, level = 0.95): [number, number] {
  const a = (1 - level) / 2;
  return [quantile(replicates, a), quantile(replicates, 1 - a)];
}

/** n indices drawn uniformly with replacement from 0..n-1. */
export function resampleIndices(rng: Rng, n: number, m = n): Int32Array {
  const idx = new Int32Array(m);
  for (let i = 0; i < m; i++) idx[i] = rng.int(n);
  return idx;
}

/**
 * Percentile bootstrap of a statistic of n paired rows: `stat(indices)` is evaluated on B
 * resamples with replacement. Returns the replicates and the 95 % interval.
 */
export function bootstrapRows(n: number, replicates: number, seed: number, stat: (idx: Int32Array) => number): { replicates: Float64Array; ci95: [number, number] } {
  if (!(replicates >= 2)) throw new RangeError(`bootstrapRows: needs at least 2 replicates, got ${replicates}`);
  const rng = new Rng(seed);
  const out = new Float64Array(replicates);
  for (let b = 0; b < replicates; b++) out[b] = stat(resampleIndices(rng, n));
  return { replicates: out, ci95: percentileInterval(out) };
}

/**
 * Bootstrap of a mean over per-batch values: resample the batches with replacement and take
 * the mean, B times; returns the 95 % percentile interval.
 */
export function bootstrapMean(values: ArrayLike<number>, replicates: number, seed: number): [number, number] {
  const n = values.length;
  if (n < 2) throw new RangeError(`bootstrapMean: needs at least 2 values, got ${n}`);
  const rng = new Rng(seed);
  const out = new Float64Array(replicates);
  for (let b = 0; b < replicates; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)];
    out[b] = s / n;
  }
  return percentileInterval(out);
}

/**
 * Two-sided permutation p-value with the +1 correction (Phipson & Smyth 2010):
 * p = (1 + #{b : |T_b| ≥ |T_obs|}) / (1 + B). Never 0, so it is valid at any B.
 */
export function permutationPValue(observed: number, permuted: ArrayLike<number>): number {
  const t = Math.abs(observed);
  let c = 0;
  for (let b = 0; b < permuted.length; b++) if (Math.abs(permuted[b]) >= t - 1e-15 * Math.max(1, t)) c++;
  return (1 + c) / (1 + permuted.length);
}

/**
 * Two-sided paired sign-flip permutation p-value of mean(d) ≠ 0 (the d_i are per-item
 * differences; under H0 each is symmetric about 0): P random sign vectors, +1 correction.
 */
export function signFlipPValue(d: ArrayLike<number>, permutations: number, rng: Rng): number {
  const n = d.length;
  if (n < 1) throw new RangeError('signFlipPValue: no differences');
  let observed = 0;
  for (let i = 0; i < n; i++) observed += d[i];
  const permuted = new Float64Array(permutations);
  for (let b = 0; b < permutations; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rng.next() < 0.5 ? -d[i] : d[i];
    permuted[b] = s;
  }
  return permutationPValue(observed, permuted);
}

/**
 * Two-sided two-sample permutation p-value of mean(a) ≠ mean(b): the pooled values are
 * reassigned to groups of the original sizes P times, +1 correction.
 */
export function twoSamplePermutationPValue(a: ArrayLike<number>, b: ArrayLike<number>, permutations: number, rng: Rng): number {
  const na = a.length;
  const n = na + b.length;
  if (na < 1 || b.length < 1) throw new RangeError('twoSamplePermutationPValue: both samples need a value');
  const pooled = new Float64Array(n);
  pooled.set(Array.from(a));
  pooled.set(Array.from(b), na);
  let total = 0;
  for (let i = 0; i < n; i++) total += pooled[i];
  const diff = (sumA: number): number => sumA / na - (total - sumA) / (n - na);
  let sa = 0;
  for (let i = 0; i < na; i++) sa += a[i];
  const permuted = new Float64Array(permutations);
  for (let k = 0; k < permutations; k++) {
    const perm = rng.permutation(n);
    let s = 0;
    for (let i = 0; i < na; i++) s += pooled[perm[i]];
    permuted[k] = diff(s);
  }
  return permutationPValue(diff(sa), permuted);
}
