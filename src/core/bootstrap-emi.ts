/**
 * Row-weighted versions of the paper's statistics, for the Bayesian bootstrap (Rubin 1981):
 * each replicate draws weights w ~ n·Dirichlet(1, …, 1) over the rows of a set and recomputes
 * the statistic with those weights. Unlike resampling with replacement it never duplicates a
 * row, which matters for the representation JSD: with n < d a duplicated row lowers the rank of
 * AᵀA and shifts the entropy, so an ordinary bootstrap would be biased; weights keep the rank.
 * Asymptotically it is equivalent to the ordinary bootstrap.
 */
import type { ClubMoments } from './club.js';
import { matrixEntropy, type JsdMixture } from './jsd.js';
import type { Matrix } from './matrix.js';
import type { Rng } from './random.js';

/** n weights with mean 1: w_i = n·E_i/ΣE, E_i ~ Exp(1). */
export function dirichletWeights(rng: Rng, n: number): Float64Array {
  const w = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    let u = 0;
    while (u === 0) u = rng.next();
    w[i] = -Math.log(u);
    s += w[i];
  }
  for (let i = 0; i < n; i++) w[i] *= n / s;
  return w;
}

/**
 * (E7) with row weights: Σ_i w̃_i Σ_d [−(μ_id − y_id)² + Σ_j w̃_j (y_jd − μ_id)²]/(2e^{lv_id}),
 * w̃ = w/Σw. All weights 1 gives clubFromMoments exactly (up to rounding).
 */
export function clubFromMomentsWeighted(moments: ClubMoments, y: Matrix, w: ArrayLike<number>): number {
  const { mu, logvar } = moments;
  const n = y.rows;
  const d = y.cols;
  if (mu.rows !== n || mu.cols !== d || w.length !== n) throw new RangeError(`clubFromMomentsWeighted: y [${n}, ${d}], μ [${mu.rows}, ${mu.cols}], ${w.length} weights`);
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i];
  const mean = new Float64Array(d);
  const meanSq = new Float64Array(d);
  const yd = y.data;
  for (let j = 0; j < n; j++) {
    const wj = w[j] / total;
    if (wj === 0) continue;
    for (let t = 0; t < d; t++) {
      const v = yd[j * d + t];
      mean[t] += wj * v;
      meanSq[t] += wj * v * v;
    }
  }
  let s = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i] / total;
    if (wi === 0) continue;
    let r = 0;
    for (let t = 0; t < d; t++) {
      const k = i * d + t;
      const m = mu.data[k];
      const diff = m - yd[k];
      r += (-diff * diff + meanSq[t] - 2 * m * mean[t] + m * m) / (2 * Math.exp(logvar.data[k]));
    }
    s += wi * r;
  }
  return s;
}

/**
 * Inner products of the row-normalised rows of A and B, computed once so that each bootstrap
 * replicate costs an eigenproblem only: gA = AAᵀ, gB = BBᵀ, gAB = ABᵀ ([nA, nB]).
 */
export interface JsdGrams {
  readonly nA: number;
  readonly nB: number;
  readonly d: number;
  /** Row-normalised A and B (for the d×d route when n_A + n_B > d). */
  readonly a: Float64Array;
  readonly b: Float64Array;
  /** Gram blocks, only when n_A + n_B ≤ d (else empty). */
  readonly gA: Float64Array;
  readonly gB: Float64Array;
  readonly gAB: Float64Array;
}

function normalizedRows(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < m.cols; j++) s += m.data[i * m.cols + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = m.data[i * m.cols + j] * inv;
  }
  return out;
}

function products(a: Float64Array, na: number, b: Float64Array, nb: number, d: number): Float64Array {
  const g = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) for (let j = 0; j < nb; j++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += a[i * d + t] * b[j * d + t];
    g[i * nb + j] = s;
  }
  return g;
}

export function jsdGrams(a: Matrix, b: Matrix): JsdGrams {
  if (a.cols !== b.cols) throw new RangeError(`jsdGrams: dimensions differ (${a.cols} vs ${b.cols})`);
  const an = normalizedRows(a);
  const bn = normalizedRows(b);
  const d = a.cols;
  if (a.rows + b.rows > d) return { nA: a.rows, nB: b.rows, d, a: an, b: bn, gA: new Float64Array(0), gB: new Float64Array(0), gAB: new Float64Array(0) };
  return { nA: a.rows, nB: b.rows, d, a: an, b: bn, gA: products(an, a.rows, an, a.rows, d), gB: products(bn, b.rows, bn, b.rows, d), gAB: products(an, a.rows, bn, b.rows, d) };
}

/** Σ_i s_i²·r_i r_iᵀ (d×d) for row-normalised rows r_i and per-row scales s_i. */
function weightedScatter(rows: Float64Array, n: number, d: number, s: Float64Array, into: Float64Array, scale = 1): void {
  for (let i = 0; i < n; i++) {
    const w = s[i] * s[i] * scale;
    if (w === 0) continue;
    const o = i * d;
    for (let p = 0; p < d; p++) {
      const rp = rows[o + p] * w;
      for (let q = 0; q <= p; q++) into[p * d + q] += rp * rows[o + q];
    }
  }
}

function lowerEntropy(c: Float64Array, d: number): number {
  for (let p = 0; p < d; p++) for (let q = 0; q < p; q++) c[q * d + p] = c[p * d + q];
  return matrixEntropy(c, d);
}

/**
 * (E10) with row weights: C_A = Σ_i w_i a_i a_iᵀ. When n_A + n_B ≤ d every entropy comes from a
 * Gram matrix (E11), G_ij = √(w_i w_j)⟨a_i, a_j⟩; otherwise from the d×d matrices. The mixture
 * weighs each set by 1/Σw ('equal', unit trace) or 1 ('sample-weighted'). With all weights 1
 * this is representationJsd.
 */
export function weightedJsd(g: JsdGrams, wA: ArrayLike<number>, wB: ArrayLike<number>, mixture: JsdMixture): number {
  const { nA, nB } = g;
  const sa = new Float64Array(nA);
  const sb = new Float64Array(nB);
  let ta = 0;
  let tb = 0;
  for (let i = 0; i < nA; i++) ta += wA[i];
  for (let i = 0; i < nB; i++) tb += wB[i];
  const ca = mixture === 'equal' ? 1 / ta : 1;
  const cb = mixture === 'equal' ? 1 / tb : 1;
  for (let i = 0; i < nA; i++) sa[i] = Math.sqrt(wA[i] * ca);
  for (let i = 0; i < nB; i++) sb[i] = Math.sqrt(wB[i] * cb);
  if (g.gA.length === 0) {
    const d = g.d;
    const cA = new Float64Array(d * d);
    const cB = new Float64Array(d * d);
    weightedScatter(g.a, nA, d, sa, cA);
    weightedScatter(g.b, nB, d, sb, cB);
    const mix = new Float64Array(d * d);
    for (let k = 0; k < d * d; k++) mix[k] = cA[k] + cB[k];
    return lowerEntropy(mix, d) - 0.5 * (lowerEntropy(cA, d) + lowerEntropy(cB, d));
  }
  const selfEntropy = (gm: Float64Array, s: Float64Array, n: number): number => {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = s[i] * s[j] * gm[i * n + j];
    return matrixEntropy(m, n);
  };
  const m = nA + nB;
  const mix = new Float64Array(m * m);
  for (let i = 0; i < nA; i++) for (let j = 0; j < nA; j++) mix[i * m + j] = sa[i] * sa[j] * g.gA[i * nA + j];
  for (let i = 0; i < nB; i++) for (let j = 0; j < nB; j++) mix[(nA + i) * m + nA + j] = sb[i] * sb[j] * g.gB[i * nB + j];
  for (let i = 0; i < nA; i++) for (let j = 0; j < nB; j++) {
    const v = sa[i] * sb[j] * g.gAB[i * nB + j];
    mix[i * m + nA + j] = v;
    mix[(nA + j) * m + i] = v;
  }
  return matrixEntropy(mix, m) - 0.5 * (selfEntropy(g.gA, sa, nA) + selfEntropy(g.gB, sb, nB));
}
