/**
 * Per-sample contributions to the representation JSD (E10), equal-weight mixture: which rows
 * of a window make it differ from the reference.
 *
 * With ρ_W = (1/n_W) Σ_i a_i a_iᵀ, ρ_R likewise and M = ½(ρ_R + ρ_W), the JSD splits exactly as
 *   JSD = ½·D(ρ_R ‖ M) + ½·D(ρ_W ‖ M),   D(ρ ‖ σ) = tr ρ (log ρ − log σ)  (quantum relative entropy),
 * and the window's half splits over its rows:
 *   c_i = (1 / 2n_W) · a_iᵀ (log ρ_W − log M) a_i,   Σ_i c_i = ½·D(ρ_W ‖ M).
 * c_i is large when row i lies where the window's covariance has more mass than the mixture's,
 * i.e. in directions the reference rarely visits. It is also the influence of row i on the JSD:
 * dJSD/dε for ρ_W → (1−ε)ρ_W + ε·a_i a_iᵀ is n_W·(c_i − mean c), so ranking by c_i ranks by
 * influence.
 *
 * Computed in Gram space (E11): with K_W = A Aᵀ / n_W = U Λ Uᵀ, a_iᵀ log ρ_W a_i =
 * n_W Σ_k U_ik² λ_k log λ_k; with the stacked, scaled rows B = [R/√(2n_R); A/√(2n_W)] and
 * K = B Bᵀ = U' Λ' U'ᵀ, a_iᵀ log M a_i = 2n_W Σ_k U'_{n_R+i,k}² λ'_k log λ'_k. Rows are
 * L2-normalised first, as in E10.
 */
import { symmetricEigen } from './eigen-vectors.js';
import { gram } from './linalg.js';
import { normalizeRows, type Matrix } from './matrix.js';

/** Σ_k U_rk² λ_k log λ_k for each row r in [from, from + count) of the eigenvector matrix (λ ≤ 0 contribute 0). */
function weightedLogDiag(k: Float64Array, n: number, from: number, count: number): Float64Array {
  const { values, vectors } = symmetricEigen(k, n);
  const out = new Float64Array(count);
  for (let j = 0; j < n; j++) {
    const l = values[j];
    if (!(l > 1e-15)) continue;
    const f = l * Math.log(l);
    for (let i = 0; i < count; i++) {
      const u = vectors[(from + i) * n + j];
      out[i] += u * u * f;
    }
  }
  return out;
}

/** c_i for every row of `window` against `reference` (nats; Σ c_i = ½·D(ρ_W ‖ M)). */
export function jsdContributions(reference: Matrix, window: Matrix): Float64Array {
  if (reference.cols !== window.cols) throw new RangeError(`jsdContributions: dimensions differ (${reference.cols} vs ${window.cols})`);
  const r = normalizeRows(reference);
  const a = normalizeRows(window);
  const nr = r.rows;
  const nw = a.rows;
  const d = a.cols;
  const kw = gram(a);
  for (let k = 0; k < kw.length; k++) kw[k] /= nw;
  const own = weightedLogDiag(kw, nw, 0, nw);
  const stacked = new Float64Array((nr + nw) * d);
  const sr = 1 / Math.sqrt(2 * nr);
  const sw = 1 / Math.sqrt(2 * nw);
  for (let k = 0; k < nr * d; k++) stacked[k] = r.data[k] * sr;
  for (let k = 0; k < nw * d; k++) stacked[nr * d + k] = a.data[k] * sw;
  const km = gram({ rows: nr + nw, cols: d, data: stacked });
  const mix = weightedLogDiag(km, nr + nw, nr, nw);
  const out = new Float64Array(nw);
  for (let i = 0; i < nw; i++) out[i] = 0.5 * own[i] - mix[i];
  return out;
}
