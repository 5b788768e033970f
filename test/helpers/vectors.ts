/**
 * The test vectors of DESIGN.md §2 (float64, each row L2-normalised): i = 1..8, k = 1..768,
 * zv = sin(0.01·i·k), zt = cos(0.02·i·k + 0.5), zy = sin(0.03·i·k + 1.0), zŷ = sin(0.03·i·k + 1.1).
 */
import { normalizeRows, type Matrix } from '../../src/core/matrix.js';

function make(f: (i: number, k: number) => number): Matrix<Float64Array> {
  const d = new Float64Array(8 * 768);
  for (let i = 1; i <= 8; i++) for (let k = 1; k <= 768; k++) d[(i - 1) * 768 + k - 1] = f(i, k);
  return normalizeRows({ rows: 8, cols: 768, data: d });
}

export const zv = make((i, k) => Math.sin(0.01 * i * k));
export const zt = make((i, k) => Math.cos(0.02 * i * k + 0.5));
export const zy = make((i, k) => Math.sin(0.03 * i * k + 1.0));
export const zyHat = make((i, k) => Math.sin(0.03 * i * k + 1.1));

/** Published values (DESIGN.md §2). */
export const EXPECTED = {
  clubModel: -0.0017761335,
  clubReference: 0.0014518076,
  emi: -0.0032279411,
  jsdVisualText: 0.6228169,
  jsdOutput: 0.0170786,
  jsdHalfVisualTextSampleWeighted: 0.7085804,
  boundScaleAdjusted: 2.3013828,
};
