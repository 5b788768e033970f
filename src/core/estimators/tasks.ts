/**
 * Tasks with a known mutual information (the shape of the bmi benchmark, Czyż et al. 2023):
 * each task samples n paired rows from a seeded Rng and knows its true I(X; Y) in nats.
 * Closed forms:
 * - Gaussian with joint covariance Σ: ½(log det Σxx + log det Σyy − log det Σ); for d
 *   independent pairs of correlation ρ, −(d/2)·log(1 − ρ²).
 * - Invertible maps of each coordinate leave MI unchanged.
 * - Multivariate Student-t with ν degrees of freedom and dispersion Σ:
 *   I_Gauss(Σ) + f(ν) + f(ν + dx + dy) − f(ν + dx) − f(ν + dy), f(k) = lnΓ(k/2) − (k/2)·ψ(k/2)
 *   (Arellano-Valle et al. 2013).
 * - X ~ U(0, 1), Y = X + U(−ε, ε): I = ε − log 2ε for ε ≤ ½.
 */
import type { Matrix } from '../matrix.js';
import { Rng } from '../random.js';
import { gaussianMiFromCovariance } from './gaussian.js';
import { digamma, logGamma } from './special.js';

export interface Task {
  readonly name: string;
  readonly dx: number;
  readonly dy: number;
  /** The true I(X; Y) in nats. */
  readonly mi: number;
  sample(n: number, seed: number): { x: Matrix<Float64Array>; y: Matrix<Float64Array> };
}

/** Lower Cholesky factor of an SPD p×p matrix. */
function cholesky(a: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let s = a[j * p + j];
    for (let k = 0; k < j; k++) s -= l[j * p + k] ** 2;
    if (!(s > 0)) throw new RangeError('cholesky: matrix is not positive definite');
    l[j * p + j] = Math.sqrt(s);
    for (let i = j + 1; i < p; i++) {
      let t = a[i * p + j];
      for (let k = 0; k < j; k++) t -= l[i * p + k] * l[j * p + k];
      l[i * p + j] = t / l[j * p + j];
    }
  }
  return l;
}

/** n rows of N(0, Σ) split into X (first dx columns) and Y; optionally scaled per row (Student-t). */
function sampleJoint(cov: Float64Array, dx: number, n: number, rng: Rng, rowScale?: (rng: Rng) => number): { x: Matrix<Float64Array>; y: Matrix<Float64Array> } {
  const p = Math.round(Math.sqrt(cov.length));
  const dy = p - dx;
  const l = cholesky(cov, p);
  const x = new Float64Array(n * dx);
  const y = new Float64Array(n * dy);
  const z = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) z[j] = rng.normal();
    const s = rowScale ? rowScale(rng) : 1;
    for (let a = 0; a < p; a++) {
      let v = 0;
      for (let b = 0; b <= a; b++) v += l[a * p + b] * z[b];
      v *= s;
      if (a < dx) x[i * dx + a] = v;
      else y[i * dy + a - dx] = v;
    }
  }
  return { x: { rows: n, cols: dx, data: x }, y: { rows: n, cols: dy, data: y } };
}

export function gaussianTask(name: string, cov: Float64Array, dx: number): Task {
  const p = Math.round(Math.sqrt(cov.length));
  return { name, dx, dy: p - dx, mi: gaussianMiFromCovariance(cov, dx), sample: (n, seed) => sampleJoint(cov, dx, n, new Rng(seed)) };
}

/** d coordinate pairs (x_j, y_j) with correlation ρ_j each, the rest independent; I = −½·Σ log(1 − ρ_j²). */
export function pairedCovariance(dx: number, dy: number, rhos: readonly number[]): Float64Array {
  const p = dx + dy;
  const c = new Float64Array(p * p);
  for (let a = 0; a < p; a++) c[a * p + a] = 1;
  rhos.forEach((r, j) => {
    c[j * p + dx + j] = r;
    c[(dx + j) * p + j] = r;
  });
  return c;
}

/** Σ = (1 − c)·I + c·11ᵀ over all dx + dy coordinates ("dense" in bmi with c = 0.5). */
export function denseCovariance(dx: number, dy: number, c = 0.5): Float64Array {
  const p = dx + dy;
  const s = new Float64Array(p * p).fill(c);
  for (let a = 0; a < p; a++) s[a * p + a] = 1;
  return s;
}

export const gaussian1x1 = (rho = 0.75): Task => gaussianTask(`gauss-1x1-rho${rho}`, pairedCovariance(1, 1, [rho]), 1);
export const gaussianDense = (d: number, c = 0.5): Task => gaussianTask(`gauss-dense-${d}x${d}`, denseCovariance(d, d, c), d);
export const gaussianTwoPair = (d: number, rho = 0.8): Task => gaussianTask(`gauss-2pair-${d}x${d}`, pairedCovariance(d, d, [rho, rho]), d);
export const independentGaussian = (dx: number, dy: number): Task => gaussianTask(`indep-${dx}x${dy}`, pairedCovariance(dx, dy, []), dx);

/** d pairs all with the same ρ, chosen so that the total MI is `mi`: ρ = √(1 − e^(−2I/d)). */
export function gaussianWithMi(d: number, mi: number): Task {
  const rho = Math.sqrt(1 - Math.exp((-2 * mi) / d));
  return gaussianTask(`gauss-${d}x${d}-I${mi}`, pairedCovariance(d, d, new Array(d).fill(rho)), d);
}

export type MarginalMap = 'cubic' | 'asinh' | 'half-cube' | 'normal-cdf';

const MAPS: Record<MarginalMap, (v: number) => number> = {
  cubic: (v) => v * v * v,
  asinh: (v) => Math.asinh(v),
  'half-cube': (v) => Math.sign(v) * Math.abs(v) ** 1.5,
  'normal-cdf': (v) => normalCdf(v),
};

/** Φ(v) via erfc (W. J. Cody's rational approximation is overkill here: |error| < 1.2e-7 suffices for sampling). */
export function normalCdf(v: number): number {
  const z = Math.abs(v) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return v >= 0 ? 1 - r / 2 : r / 2;
}

/** A task with an invertible map applied to every coordinate of X and Y: same MI. */
export function mappedTask(base: Task, map: MarginalMap): Task {
  const f = MAPS[map];
  const apply = (m: Matrix<Float64Array>): Matrix<Float64Array> => ({ ...m, data: m.data.map(f) });
  return {
    name: `${base.name}-${map}`,
    dx: base.dx,
    dy: base.dy,
    mi: base.mi,
    sample: (n, seed) => {
      const s = base.sample(n, seed);
      return { x: apply(s.x), y: apply(s.y) };
    },
  };
}

/** f(k) = lnΓ(k/2) − (k/2)·ψ(k/2). */
function studentF(k: number): number {
  return logGamma(k / 2) - (k / 2) * digamma(k / 2);
}

/** MI of a multivariate Student-t minus that of the Gaussian with the same dispersion. */
export function studentTCorrection(dof: number, dx: number, dy: number): number {
  return studentF(dof) + studentF(dof + dx + dy) - studentF(dof + dx) - studentF(dof + dy);
}

/** Multivariate Student-t with integer `dof` and dispersion Σ (X = Z/√(W/ν), W ~ χ²_ν). */
export function studentTTask(name: string, cov: Float64Array, dx: number, dof: number): Task {
  if (!Number.isInteger(dof) || dof < 1) throw new RangeError(`studentTTask: dof must be a positive integer, got ${dof}`);
  const p = Math.round(Math.sqrt(cov.length));
  const scale = (rng: Rng): number => {
    let w = 0;
    for (let k = 0; k < dof; k++) w += rng.normal() ** 2;
    return 1 / Math.sqrt(w / dof);
  };
  return {
    name,
    dx,
    dy: p - dx,
    mi: gaussianMiFromCovariance(cov, dx) + studentTCorrection(dof, dx, p - dx),
    sample: (n, seed) => sampleJoint(cov, dx, n, new Rng(seed), scale),
  };
}

/** X ~ U(0, 1), Y = X + U(−ε, ε), ε ≤ ½: I = ε − log 2ε. */
export function additiveUniformTask(eps: number): Task {
  if (!(eps > 0 && eps <= 0.5)) throw new RangeError(`additiveUniformTask: ε must be in (0, ½], got ${eps}`);
  return {
    name: `additive-uniform-eps${eps}`,
    dx: 1,
    dy: 1,
    mi: eps - Math.log(2 * eps),
    sample: (n, seed) => {
      const rng = new Rng(seed);
      const x = new Float64Array(n);
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        x[i] = rng.next();
        y[i] = x[i] + (2 * rng.next() - 1) * eps;
      }
      return { x: { rows: n, cols: 1, data: x }, y: { rows: n, cols: 1, data: y } };
    },
  };
}
