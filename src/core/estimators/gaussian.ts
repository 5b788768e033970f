/**
 * The Gaussian closed form: if (X, Y) is jointly Gaussian with covariance Σ = [Σxx Σxy; Σyx Σyy],
 *   I(X; Y) = ½·(log det Σxx + log det Σyy − log det Σ).
 * Estimated from the sample covariance of the joint rows, optionally shrunk (Ledoit–Wolf towards
 * a scaled identity, for n close to d) and with the Wishart bias correction of each log-det.
 * For non-Gaussian data this is the MI of the Gaussian with the same covariance — a lower
 * bound on the true MI for a given covariance.
 */
import { bootstrapRows } from '../bootstrap.js';
import type { Matrix } from '../matrix.js';
import { digamma } from './special.js';
import { checkPaired, type EstimateOptions, type MiEstimate, type MiEstimator } from './types.js';

/** log det of a symmetric positive-definite p×p matrix by Cholesky (float64); NaN if not PD. */
export function logDetSpd(a: Float64Array, p: number): number {
  const l = Float64Array.from(a);
  let ld = 0;
  for (let j = 0; j < p; j++) {
    let s = l[j * p + j];
    for (let k = 0; k < j; k++) s -= l[j * p + k] * l[j * p + k];
    if (!(s > 0)) return NaN;
    const d = Math.sqrt(s);
    l[j * p + j] = d;
    ld += 2 * Math.log(d);
    for (let i = j + 1; i < p; i++) {
      let t = l[i * p + j];
      for (let k = 0; k < j; k++) t -= l[i * p + k] * l[j * p + k];
      l[i * p + j] = t / d;
    }
  }
  return ld;
}

/** The leading (or trailing) diagonal block [from, to) of a p×p matrix. */
function block(a: Float64Array, p: number, from: number, to: number): Float64Array {
  const q = to - from;
  const out = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) out[i * q + j] = a[(from + i) * p + from + j];
  return out;
}

/**
 * I(X; Y) of a Gaussian with joint covariance `cov` ((dx+dy)×(dx+dy), X first) — exact when
 * `cov` is the true covariance.
 */
export function gaussianMiFromCovariance(cov: Float64Array, dx: number): number {
  const p = Math.round(Math.sqrt(cov.length));
  if (p * p !== cov.length || dx < 1 || dx >= p) throw new RangeError(`gaussianMiFromCovariance: covariance of length ${cov.length} and dx = ${dx} do not fit`);
  return 0.5 * (logDetSpd(block(cov, p, 0, dx), dx) + logDetSpd(block(cov, p, dx, p), p - dx) - logDetSpd(cov, p));
}

/**
 * Expected bias of log det S for S the unbiased sample covariance of n Gaussian rows in p
 * dimensions (S·ν ~ Wishart(ν, Σ), ν = n − 1): E[log det S] − log det Σ
 * = p·log(2/ν) + Σ_{i=0}^{p−1} ψ((ν − i)/2).
 */
export function wishartLogDetBias(p: number, n: number): number {
  const nu = n - 1;
  let s = p * Math.log(2 / nu);
  for (let i = 0; i < p; i++) s += digamma((nu - i) / 2);
  return s;
}

/**
 * Sample covariance (n − 1) of the joint rows [x_i, y_i] over the row multiset `idx`
 * (all rows when null), float64, p×p with p = dx + dy.
 */
export function jointCovariance(x: Matrix, y: Matrix, idx: Int32Array | null = null): Float64Array {
  const n = idx ? idx.length : x.rows;
  const dx = x.cols;
  const p = dx + y.cols;
  const mean = new Float64Array(p);
  const rowAt = (k: number, z: Float64Array): void => {
    const i = idx ? idx[k] : k;
    for (let j = 0; j < dx; j++) z[j] = x.data[i * dx + j];
    for (let j = dx; j < p; j++) z[j] = y.data[i * y.cols + j - dx];
  };
  const z = new Float64Array(p);
  for (let k = 0; k < n; k++) {
    rowAt(k, z);
    for (let j = 0; j < p; j++) mean[j] += z[j];
  }
  for (let j = 0; j < p; j++) mean[j] /= n;
  const c = new Float64Array(p * p);
  for (let k = 0; k < n; k++) {
    rowAt(k, z);
    for (let j = 0; j < p; j++) z[j] -= mean[j];
    for (let a = 0; a < p; a++) {
      const za = z[a];
      const o = a * p;
      for (let b = 0; b <= a; b++) c[o + b] += za * z[b];
    }
  }
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      const v = c[a * p + b] / (n - 1);
      c[a * p + b] = v;
      c[b * p + a] = v;
    }
  }
  return c;
}

/**
 * Ledoit–Wolf (2004) shrinkage intensity of a sample covariance towards μ·I, μ = tr(S)/p,
 * computed from the centred rows: δ = min(1, β̄² / ‖S − μI‖²_F) with
 * β̄² = (1/n²)·Σ_k ‖z_k z_kᵀ − S‖²_F. Returns the intensity in [0, 1].
 */
export function ledoitWolfIntensity(x: Matrix, y: Matrix, cov: Float64Array, idx: Int32Array | null = null): number {
  const n = idx ? idx.length : x.rows;
  const dx = x.cols;
  const p = dx + y.cols;
  let mu = 0;
  for (let a = 0; a < p; a++) mu += cov[a * p + a];
  mu /= p;
  let dist = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const v = cov[a * p + b] - (a === b ? mu : 0);
    dist += v * v;
  }
  if (dist === 0) return 0;
  const mean = new Float64Array(p);
  const z = new Float64Array(p);
  const load = (k: number): void => {
    const i = idx ? idx[k] : k;
    for (let j = 0; j < dx; j++) z[j] = x.data[i * dx + j];
    for (let j = dx; j < p; j++) z[j] = y.data[i * y.cols + j - dx];
  };
  for (let k = 0; k < n; k++) {
    load(k);
    for (let j = 0; j < p; j++) mean[j] += z[j] / n;
  }
  let beta = 0;
  for (let k = 0; k < n; k++) {
    load(k);
    for (let j = 0; j < p; j++) z[j] -= mean[j];
    // ‖zzᵀ − S‖² = ‖z‖⁴ − 2·zᵀSz + ‖S‖², summed without forming zzᵀ.
    let zz = 0;
    for (let j = 0; j < p; j++) zz += z[j] * z[j];
    let zsz = 0;
    for (let a = 0; a < p; a++) {
      let t = 0;
      for (let b = 0; b < p; b++) t += cov[a * p + b] * z[b];
      zsz += z[a] * t;
    }
    beta += zz * zz - 2 * zsz;
  }
  let s2 = 0;
  for (let k = 0; k < p * p; k++) s2 += cov[k] * cov[k];
  beta = (beta + n * s2) / (n * n);
  return Math.min(1, Math.max(0, beta / dist));
}

export interface GaussianParams {
  /** Shrinkage towards μ·I: a fixed intensity in [0, 1], or "ledoit-wolf". Default 0. */
  readonly shrinkage: number | 'ledoit-wolf';
  /** Subtract the Wishart expectation of each log-det's bias (unbiased for Gaussian data). Default false. */
  readonly biasCorrection: boolean;
}

export const GAUSSIAN_DEFAULTS: GaussianParams = { shrinkage: 0, biasCorrection: false };

/** The Gaussian MI of the rows `idx` of (x, y) under `params`. */
export function gaussianMi(x: Matrix, y: Matrix, params: GaussianParams = GAUSSIAN_DEFAULTS, idx: Int32Array | null = null): number {
  const n = idx ? idx.length : x.rows;
  const dx = x.cols;
  const p = dx + y.cols;
  const cov = jointCovariance(x, y, idx);
  // Scale-free: work on the correlation matrix, so shrinkage towards I treats columns alike.
  const sd = new Float64Array(p);
  for (let a = 0; a < p; a++) sd[a] = Math.sqrt(cov[a * p + a]) || 1;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) cov[a * p + b] /= sd[a] * sd[b];
  const delta = params.shrinkage === 'ledoit-wolf' ? ledoitWolfIntensity(scaleCols(x, sd, 0), scaleCols(y, sd, dx), cov, idx) : params.shrinkage;
  if (delta > 0) {
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) cov[a * p + b] *= 1 - delta;
    for (let a = 0; a < p; a++) cov[a * p + a] += delta;
  }
  let mi = gaussianMiFromCovariance(cov, dx);
  if (params.biasCorrection) mi -= 0.5 * (wishartLogDetBias(dx, n) + wishartLogDetBias(p - dx, n) - wishartLogDetBias(p, n));
  return mi;
}

function scaleCols(m: Matrix, sd: Float64Array, offset: number): Matrix<Float64Array> {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = m.data[i * m.cols + j] / sd[offset + j];
  return { rows: m.rows, cols: m.cols, data: out };
}

export function gaussianEstimator(params: Partial<GaussianParams> = {}): MiEstimator {
  const p: GaussianParams = { ...GAUSSIAN_DEFAULTS, ...params };
  if (p.shrinkage !== 'ledoit-wolf' && !(p.shrinkage >= 0 && p.shrinkage <= 1)) throw new RangeError(`gaussian: shrinkage must be in [0, 1] or "ledoit-wolf", got ${p.shrinkage}`);
  return {
    name: 'gaussian',
    params: { ...p },
    async estimate(x: Matrix, y: Matrix, options: EstimateOptions = {}): Promise<MiEstimate> {
      checkPaired(x, y, 'gaussian', x.cols + y.cols + 2);
      const mi = gaussianMi(x, y, p);
      if (!Number.isFinite(mi)) {
        throw new RangeError(
          'gaussian: the joint covariance of X and Y is singular (a constant column, or columns that are linear combinations of others), '
          + 'so the Gaussian MI is undefined; drop those columns or regularise with shrinkage=ledoit-wolf',
        );
      }
      const b = options.bootstrap ?? 0;
      const ci95 = b > 0 ? bootstrapRows(x.rows, b, options.seed ?? 0, (idx) => gaussianMi(x, y, p, idx)).ci95 : null;
      return { mi, ci95, ciMethod: ci95 ? 'bootstrap-rows' : 'none', n: x.rows, dx: x.cols, dy: y.cols };
    },
  };
}
