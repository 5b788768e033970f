/**
 * Column standardisation (zero mean, unit sample variance), as the bmi benchmark applies
 * before estimating: MI is invariant to it, and distance- and network-based estimators
 * behave far better on comparable scales.
 */
import type { Matrix } from '../matrix.js';

export interface ColumnStats {
  readonly mean: Float64Array;
  /** Sample standard deviation (n − 1); 1 for a constant column, so it passes through. */
  readonly std: Float64Array;
}

export function columnStats(m: Matrix): ColumnStats {
  const { rows: n, cols: d, data } = m;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = data[i * d + j] - mean[j];
      std[j] += v * v;
    }
  }
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(std[j] / Math.max(1, n - 1));
    std[j] = s > 0 ? s : 1;
  }
  return { mean, std };
}

/** (m − mean)/std column-wise, float64. */
export function applyStandardize(m: Matrix, s: ColumnStats): Matrix<Float64Array> {
  const { rows: n, cols: d, data } = m;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = (data[i * d + j] - s.mean[j]) / s.std[j];
  return { rows: n, cols: d, data: out };
}

export function standardize(m: Matrix): Matrix<Float64Array> {
  return applyStandardize(m, columnStats(m));
}
