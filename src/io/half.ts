/**
 * 16-bit float decoding shared by the tensor readers (IEEE 754 binary16 and bfloat16).
 */

/** IEEE 754 half precision bits → number (subnormals, ±∞ and NaN included). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const bfU = new Uint32Array(1);
const bfF = new Float32Array(bfU.buffer);

/** bfloat16 bits → number: the upper half of a float32. */
export function bf16ToFloat(h: number): number {
  bfU[0] = h << 16;
  return bfF[0];
}
