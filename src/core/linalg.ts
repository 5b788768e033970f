/**
 * Dense kernels on row-major typed arrays, float64 accumulation.
 */
import type { FloatArray, Matrix } from './matrix.js';

/**
 * y = x·Wᵀ + b for every row of x (a dense layer with torch's [out, in] weight layout).
 * x: [n, k], w: [m, k], b: [m] → [n, m] float64. Four rows of x share each weight load.
 */
export function linear(x: Matrix, w: Matrix, b: FloatArray | null): Matrix<Float64Array> {
  const n = x.rows;
  const k = x.cols;
  const m = w.rows;
  if (w.cols !== k) throw new RangeError(`linear: input has ${k} columns, weight expects ${w.cols}`);
  if (b && b.length !== m) throw new RangeError(`linear: bias has ${b.length} values, expected ${m}`);
  const xd = x.data;
  const wd = w.data;
  const out = new Float64Array(n * m);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x0 = i * k;
    const x1 = x0 + k;
    const x2 = x1 + k;
    const x3 = x2 + k;
    for (let h = 0; h < m; h++) {
      const wo = h * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < k; t++) {
        const wv = wd[wo + t];
        s0 += xd[x0 + t] * wv;
        s1 += xd[x1 + t] * wv;
        s2 += xd[x2 + t] * wv;
        s3 += xd[x3 + t] * wv;
      }
      const bh = b ? b[h] : 0;
      out[i * m + h] = s0 + bh;
      out[(i + 1) * m + h] = s1 + bh;
      out[(i + 2) * m + h] = s2 + bh;
      out[(i + 3) * m + h] = s3 + bh;
    }
  }
  for (; i < n; i++) {
    const xo = i * k;
    for (let h = 0; h < m; h++) {
      const wo = h * k;
      let s = 0;
      for (let t = 0; t < k; t++) s += xd[xo + t] * wd[wo + t];
      out[i * m + h] = s + (b ? b[h] : 0);
    }
  }
  return { rows: n, cols: m, data: out };
}

/** In-place tanh. */
export function tanhInPlace(a: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] = Math.tanh(a[i]);
  return a;
}

/**
 * Cross products C = A·Bᵀ (C_ij = ⟨a_i, b_j⟩), [n_A, n_B] float64. Four rows of B share each
 * load of a row of A.
 */
export function crossProducts(a: Matrix, b: Matrix): Float64Array {
  const na = a.rows;
  const nb = b.rows;
  const d = a.cols;
  if (b.cols !== d) throw new RangeError(`crossProducts: ${d} vs ${b.cols} columns`);
  const ad = a.data;
  const bd = b.data;
  const out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    const io = i * d;
    let j = 0;
    for (; j + 4 <= nb; j += 4) {
      const j0 = j * d;
      const j1 = j0 + d;
      const j2 = j1 + d;
      const j3 = j2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < d; t++) {
        const x = ad[io + t];
        s0 += x * bd[j0 + t];
        s1 += x * bd[j1 + t];
        s2 += x * bd[j2 + t];
        s3 += x * bd[j3 + t];
      }
      const o = i * nb + j;
      out[o] = s0;
      out[o + 1] = s1;
      out[o + 2] = s2;
      out[o + 3] = s3;
    }
    for (; j < nb; j++) {
      const jo = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) s += ad[io + t] * bd[jo + t];
      out[i * nb + j] = s;
    }
  }
  return out;
}

/**
 * Gram matrix G = A·Aᵀ of the rows of A (n×n, symmetric, float64), with an optional per-row
 * scale: G_ij = w_i·w_j·⟨a_i, a_j⟩.
 */
export function gram(a: Matrix, rowScale?: Float64Array): Float64Array {
  const g = crossProducts(a, a);
  const n = a.rows;
  // Symmetrise exactly (the blocked sums may differ in the last bit between (i, j) and (j, i)).
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let s = g[i * n + j];
      if (rowScale) s *= rowScale[i] * rowScale[j];
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
    if (rowScale) g[i * n + i] *= rowScale[i] * rowScale[i];
  }
  return g;
}

/**
 * Scatter matrix C = Σ_i w_i²·a_i·a_iᵀ (d×d, float64): the uncentred covariance AᵀA when
 * all weights are 1. Accumulates the lower triangle by rank-1 updates, then mirrors it.
 */
export function scatter(a: Matrix, rowScale?: Float64Array, into?: Float64Array): Float64Array {
  const n = a.rows;
  const d = a.cols;
  const ad = a.data;
  const c = into ?? new Float64Array(d * d);
  const r = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const w = rowScale ? rowScale[i] : 1;
    const io = i * d;
    for (let t = 0; t < d; t++) r[t] = ad[io + t] * w;
    for (let p = 0; p < d; p++) {
      const rp = r[p];
      if (rp === 0) continue;
      const po = p * d;
      for (let q = 0; q <= p; q++) c[po + q] += rp * r[q];
    }
  }
  if (!into) mirrorLower(c, d);
  return c;
}

/** Copy the lower triangle of a d×d row-major matrix onto its upper triangle. */
export function mirrorLower(c: Float64Array, d: number): void {
  for (let p = 0; p < d; p++) for (let q = 0; q < p; q++) c[q * d + p] = c[p * d + q];
}
