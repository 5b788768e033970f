/**
 * CLIP image preprocessing exactly as E4 (DESIGN.md §2) and the Hugging Face CLIPImageProcessor
 * the authors used: RGB → resize so the shortest side is 224 with PIL's bicubic filter →
 * centre crop 224×224 → ×1/255 → (v − mean)/std per channel → CHW float32.
 *
 * The resize reproduces Pillow's `Image.resize(size, Image.BICUBIC)` (libImaging/Resample.c):
 * a separable convolution, horizontal pass first, with the cubic kernel a = −0.5 whose support
 * is stretched by the scale when shrinking (antialiasing), coefficients normalised per output
 * pixel and quantised to 22-bit fixed point, and an 8-bit rounding/clamping after each pass.
 * Only the output pixels inside the centre crop are computed (each output pixel is independent,
 * so this changes nothing but the time).
 */
import type { Rgb8Image } from '../io/image.js';

/** E4 constants (OpenAI CLIP). */
export const CLIP_IMAGE_SIZE = 224;
export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** Pillow's PRECISION_BITS for 8-bit images: 32 − 8 − 2. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Pillow's bicubic kernel with a = −0.5 (support 2). */
export function bicubicKernel(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/**
 * The output size of "shortest side → `size`" as transformers' `get_resize_output_image_size`
 * (default_to_square = false): the long side is `int(size · long / short)` (truncated).
 */
export function shortestSideSize(width: number, height: number, size = CLIP_IMAGE_SIZE): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** Per-output-pixel filter taps along one axis, in 22-bit fixed point. */
export interface ResampleCoeffs {
  /** First input index of each output pixel. */
  readonly start: Int32Array;
  /** Number of taps of each output pixel. */
  readonly count: Int32Array;
  /** Taps of output pixel i at [i·ksize, i·ksize + count[i]). */
  readonly weights: Int32Array;
  readonly ksize: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for resizing inSize → outSize. */
export function resampleCoeffs(inSize: number, outSize: number): ResampleCoeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubicKernel((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      // C's (int)(w * ONE + (w < 0 ? -0.5 : 0.5)) truncates toward zero.
      weights[xx * ksize + x] = Math.trunc(w * ONE + (w < 0 ? -0.5 : 0.5));
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, ksize };
}

/**
 * Pillow's clip8: fixed-point accumulator → 0..255 (arithmetic shift, then clamp). The
 * accumulators are int32, as in C: every partial sum is bounded by 255 · Σ|w| · 2^22 < 2^31
 * (Σ|w| < 1.3 for this kernel), so the int32 arithmetic (Math.imul, `| 0`) is exact.
 */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resize with Pillow's bicubic filter and keep only the window [left, left+cropW) ×
 * [top, top+cropH) of the resized image. Returns RGB bytes of cropW × cropH.
 * When a dimension is unchanged Pillow skips that pass; so does this.
 */
export function resizeBicubicCrop(
  img: Rgb8Image,
  outW: number,
  outH: number,
  left: number,
  top: number,
  cropW: number,
  cropH: number,
): Uint8Array {
  const { width: inW, height: inH, data } = img;
  // Horizontal pass over the input rows the vertical pass will read.
  const needH = outW !== inW;
  const needV = outH !== inH;
  const cv = needV ? resampleCoeffs(inH, outH) : null;
  let rowFirst = top;
  let rowLast = top + cropH; // exclusive, in input rows
  if (cv) {
    rowFirst = cv.start[top];
    rowLast = 0;
    for (let y = top; y < top + cropH; y++) rowLast = Math.max(rowLast, cv.start[y] + cv.count[y]);
  }
  const rows = rowLast - rowFirst;
  let tmp: Uint8Array;
  if (needH) {
    const ch = resampleCoeffs(inW, outW);
    tmp = new Uint8Array(rows * cropW * 3);
    for (let r = 0; r < rows; r++) {
      const inRow = (rowFirst + r) * inW * 3;
      const outRow = r * cropW * 3;
      for (let xo = 0; xo < cropW; xo++) {
        const xx = left + xo;
        const s = ch.start[xx];
        const n = ch.count[xx];
        const kb = xx * ch.ksize;
        let a0 = HALF;
        let a1 = HALF;
        let a2 = HALF;
        for (let x = 0, p = inRow + s * 3; x < n; x++, p += 3) {
          const w = ch.weights[kb + x];
          a0 = (a0 + Math.imul(data[p], w)) | 0;
          a1 = (a1 + Math.imul(data[p + 1], w)) | 0;
          a2 = (a2 + Math.imul(data[p + 2], w)) | 0;
        }
        const o = outRow + xo * 3;
        tmp[o] = clip8(a0);
        tmp[o + 1] = clip8(a1);
        tmp[o + 2] = clip8(a2);
      }
    }
  } else {
    tmp = new Uint8Array(rows * cropW * 3);
    for (let r = 0; r < rows; r++) {
      const src = ((rowFirst + r) * inW + left) * 3;
      tmp.set(data.subarray(src, src + cropW * 3), r * cropW * 3);
    }
  }
  if (!cv) return tmp;
  const out = new Uint8Array(cropW * cropH * 3);
  const stride = cropW * 3;
  // Row-wise accumulation (tap-outer, pixel-inner) reads the temporary rows contiguously.
  const acc = new Int32Array(stride);
  for (let yo = 0; yo < cropH; yo++) {
    const yy = top + yo;
    const s = cv.start[yy] - rowFirst;
    const n = cv.count[yy];
    const kb = yy * cv.ksize;
    acc.fill(HALF);
    for (let y = 0; y < n; y++) {
      const w = cv.weights[kb + y];
      const row = (s + y) * stride;
      for (let c = 0; c < stride; c++) acc[c] = (acc[c] + Math.imul(tmp[row + c], w)) | 0;
    }
    const o = yo * stride;
    for (let c = 0; c < stride; c++) out[o + c] = clip8(acc[c]);
  }
  return out;
}

/**
 * E4 preprocessing of one image into `out` (CHW float32, 3 × size × size) at `offset`.
 * Rescale and normalise are done in float32 as transformers' numpy code does
 * (`float32(u8 · (1/255))`, then `(v − mean) / std` with float32 mean and std).
 */
export function clipPreprocessInto(img: Rgb8Image, out: Float32Array, offset: number, size = CLIP_IMAGE_SIZE): void {
  const rs = shortestSideSize(img.width, img.height, size);
  if (rs.width < size || rs.height < size) {
    throw new RangeError(`clip preprocess: resized ${rs.width}×${rs.height} is smaller than the ${size}×${size} crop`);
  }
  // transformers' center_crop: top = (h − crop) // 2, left = (w − crop) // 2.
  const top = Math.floor((rs.height - size) / 2);
  const left = Math.floor((rs.width - size) / 2);
  const rgb = resizeBicubicCrop(img, rs.width, rs.height, left, top, size, size);
  const plane = size * size;
  const lut = normaliseTable();
  for (let c = 0; c < 3; c++) {
    const base = offset + c * plane;
    const t = c * 256;
    for (let i = 0, p = c; i < plane; i++, p += 3) out[base + i] = lut[t + rgb[p]];
  }
}

let table: Float32Array | undefined;

/** The 3 × 256 possible normalised values: float32((float32(v · (1/255)) − mean) / std) per channel. */
function normaliseTable(): Float32Array {
  if (table) return table;
  const t = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(CLIP_MEAN[c]);
    const std = Math.fround(CLIP_STD[c]);
    for (let v = 0; v < 256; v++) t[c * 256 + v] = Math.fround(Math.fround(v * (1 / 255)) - mean) / std;
  }
  table = t;
  return t;
}

/** E4 preprocessing of a batch: a [n, 3, size, size] float32 buffer. */
export function clipPreprocess(images: readonly Rgb8Image[], size = CLIP_IMAGE_SIZE): Float32Array {
  const per = 3 * size * size;
  const out = new Float32Array(images.length * per);
  for (let i = 0; i < images.length; i++) clipPreprocessInto(images[i], out, i * per, size);
  return out;
}
