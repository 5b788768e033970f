/**
 * EMI, EMID and the EMID upper bound (DESIGN.md §1–§2).
 */
import { clubFromMoments, halfPrecisions, type ClubMoments } from './club.js';
import type { Matrix } from './matrix.js';

/**
 * (E6) The query embedding x = (z_v + z_t)/2, not renormalised.
 */
export function queryEmbedding(zv: Matrix, zt: Matrix): Matrix<Float64Array> {
  if (zv.rows !== zt.rows || zv.cols !== zt.cols) {
    throw new RangeError(`queryEmbedding: x_v is [${zv.rows}, ${zv.cols}] but x_t is [${zt.rows}, ${zt.cols}]`);
  }
  const out = new Float64Array(zv.data.length);
  for (let k = 0; k < out.length; k++) out[k] = (zv.data[k] + zt.data[k]) / 2;
  return { rows: zv.rows, cols: zv.cols, data: out };
}

/**
 * (E8) EMI_hat = CLUB(x, z_ŷ) − CLUB(x, z_y), the whole set as one batch, one network; the
 * moments q(·|x) are shared by both terms.
 */
export function emiFromMoments(moments: ClubMoments, yHat: Matrix, y: Matrix): { emi: number; miModel: number; miReference: number } {
  const precisions = halfPrecisions(moments);
  const miModel = clubFromMoments(moments, yHat, precisions);
  const miReference = clubFromMoments(moments, y, precisions);
  return { emi: miModel - miReference, miModel, miReference };
}

export type BoundForm = 'scale-adjusted' | 'full';

/** The four JSD terms of (E3). */
export interface JsdTerms {
  /** J_v = JSD(P_Xv ‖ Q_Xv) */
  readonly visual: number;
  /** J_t = JSD(P_Xt ‖ Q_Xt) */
  readonly text: number;
  /** J_P = JSD(P_Ŷ ‖ P_Y), ID model responses vs references. */
  readonly idOutput: number;
  /** J_Q = JSD(Q_Ŷ ‖ Q_Y), OOD model responses vs references. */
  readonly oodOutput: number;
}

/**
 * (E3) Upper bound on EMID. Each J is clamped at ≥ 0 before the powers (a tiny negative
 * estimate would otherwise give NaN).
 *   scale-adjusted: √J_v + √J_t + J_P^¼ + J_Q^¼
 *   full:           H·(√J_v + √J_t) + 4·(J_P^¼ + J_Q^¼)
 */
export function emidUpperBound(j: JsdTerms, form: BoundForm = 'scale-adjusted', entropyScaler = 1): number {
  const c = (v: number): number => Math.max(0, v);
  const input = Math.sqrt(c(j.visual)) + Math.sqrt(c(j.text));
  const output = c(j.idOutput) ** 0.25 + c(j.oodOutput) ** 0.25;
  return form === 'full' ? entropyScaler * input + 4 * output : input + output;
}
