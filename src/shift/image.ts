/**
 * Image corruptions after ImageNet-C (Hendrycks & Dietterich, ICLR 2019), severities 1…5, with
 * the constants of the reference implementation as generalised to any image size by the
 * `imagecorruptions` package (Michaelis et al. 2019). Every function maps RGB floats in
 * [0, 255] to a new image of the same size; randomness comes only from the given Rng.
 *
 * Deliberate differences, all small:
 * - defocus blur convolves with the binary disk (exact, by per-row running sums, O(r) per
 *   pixel) and then with the small anti-aliasing Gaussian, instead of convolving once with the
 *   Gaussian-smoothed disk kernel: the same operator except where the smoothing would reach past
 *   the kernel's square support;
 * - zoom blur, snow and fog zoom about the image centre with bilinear sampling, where the
 *   reference crops, calls scipy's order-1 zoom and trims (up to half a pixel of alignment);
 * - frost blends procedural ice textures (see frost.ts) unless a folder of texture photos is
 *   given, since the reference's six frost photographs are not redistributable here;
 * - JPEG compression uses libjpeg through sharp, where the reference uses PIL (also libjpeg).
 */
import sharp from 'sharp';
import type { ImageCorruption } from '../data/scenarios.js';
import { rgbFloatImage, toRgb8Image, type RgbFloatImage } from '../io/image.js';
import type { Rng } from '../core/random.js';
import type { FrostTextures } from './frost.js';

/** ImageNet-C constants per corruption, index = severity − 1 (recorded in manifests). */
export const IMAGENET_C_PARAMS = {
  gaussian_noise: [0.08, 0.12, 0.18, 0.26, 0.38],
  shot_noise: [60, 25, 12, 5, 3],
  impulse_noise: [0.03, 0.06, 0.09, 0.17, 0.27],
  defocus_blur: [[3, 0.1], [4, 0.5], [6, 0.5], [8, 0.5], [10, 0.5]],
  motion_blur: [[10, 3], [15, 5], [15, 8], [15, 12], [20, 15]],
  zoom_blur: [[1, 1.11, 0.01], [1, 1.16, 0.01], [1, 1.21, 0.02], [1, 1.26, 0.02], [1, 1.31, 0.03]],
  snow: [
    [0.1, 0.3, 3, 0.5, 10, 4, 0.8],
    [0.2, 0.3, 2, 0.5, 12, 4, 0.7],
    [0.55, 0.3, 4, 0.9, 12, 8, 0.7],
    [0.55, 0.3, 4.5, 0.85, 12, 8, 0.65],
    [0.55, 0.3, 2.5, 0.85, 12, 12, 0.55],
  ],
  frost: [[1, 0.4], [0.8, 0.6], [0.7, 0.7], [0.65, 0.7], [0.6, 0.75]],
  fog: [[1.5, 2], [2, 2], [2.5, 1.7], [2.5, 1.5], [3, 1.4]],
  brightness: [0.1, 0.2, 0.3, 0.4, 0.5],
  contrast: [0.4, 0.3, 0.2, 0.1, 0.05],
  pixelate: [0.6, 0.5, 0.4, 0.3, 0.25],
  jpeg_compression: [25, 18, 15, 10, 7],
} as const satisfies Record<ImageCorruption, readonly unknown[]>;

export interface CorruptionContext {
  readonly rng: Rng;
  /** Needed by frost only. */
  readonly frost?: FrostTextures;
}

/** Apply `kind` at `severity` (1…5). */
export async function corruptImage(img: RgbFloatImage, kind: ImageCorruption, severity: number, ctx: CorruptionContext): Promise<RgbFloatImage> {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) throw new RangeError(`${kind}: severity ${severity} not in 1…5`);
  const i = severity - 1;
  const P = IMAGENET_C_PARAMS;
  switch (kind) {
    case 'gaussian_noise':
      return gaussianNoise(img, P.gaussian_noise[i], ctx.rng);
    case 'shot_noise':
      return shotNoise(img, P.shot_noise[i], ctx.rng);
    case 'impulse_noise':
      return impulseNoise(img, P.impulse_noise[i], ctx.rng);
    case 'defocus_blur':
      return defocusBlur(img, P.defocus_blur[i][0], P.defocus_blur[i][1]);
    case 'motion_blur': {
      const [radius, sigma] = P.motion_blur[i];
      return motionBlur(img, radius, sigma, ctx.rng.uniform(-45, 45));
    }
    case 'zoom_blur': {
      const [start, stop, step] = P.zoom_blur[i];
      return zoomBlur(img, arange(start, stop, step));
    }
    case 'snow':
      return snow(img, P.snow[i], ctx.rng);
    case 'frost': {
      if (!ctx.frost) throw new Error('frost: no texture source given');
      const [a, b] = P.frost[i];
      return blend(img, a, await ctx.frost.crop(img.width, img.height, ctx.rng), b);
    }
    case 'fog':
      return fog(img, P.fog[i][0], P.fog[i][1], ctx.rng);
    case 'brightness':
      return brightness(img, P.brightness[i]);
    case 'contrast':
      return contrast(img, P.contrast[i]);
    case 'pixelate':
      return pixelate(img, P.pixelate[i]);
    case 'jpeg_compression':
      return jpegCompression(img, P.jpeg_compression[i]);
  }
}

/** numpy.arange(start, stop, step), robust to float round-off at the stop. */
function arange(start: number, stop: number, step: number): number[] {
  const n = Math.ceil((stop - start) / step - 1e-9);
  return Array.from({ length: n }, (_, k) => start + k * step);
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
const clamp255 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** x/255 + N(0, c²), clipped. */
export function gaussianNoise(img: RgbFloatImage, c: number, rng: Rng): RgbFloatImage {
  const out = new Float32Array(img.data.length);
  for (let k = 0; k < out.length; k++) out[k] = clamp01(img.data[k] / 255 + c * rng.normal()) * 255;
  return rgbFloatImage(img.width, img.height, out);
}

/**
 * Poisson(x/255·c)/c, clipped. Pixels are integers 0…255, so one inverse-CDF table per value
 * makes each draw a short search.
 */
export function shotNoise(img: RgbFloatImage, c: number, rng: Rng): RgbFloatImage {
  const tables: Float64Array[] = [];
  for (let v = 0; v < 256; v++) {
    const lambda = (v / 255) * c;
    const cdf: number[] = [];
    let p = Math.exp(-lambda);
    let acc = p;
    cdf.push(acc);
    for (let k = 1; acc < 1 - 1e-12 && k < 1000; k++) {
      p *= lambda / k;
      acc += p;
      cdf.push(acc);
    }
    tables.push(Float64Array.from(cdf));
  }
  const out = new Float32Array(img.data.length);
  for (let k = 0; k < out.length; k++) {
    const t = tables[Math.max(0, Math.min(255, Math.round(img.data[k])))];
    const u = rng.next();
    let n = 0;
    while (n < t.length - 1 && u > t[n]) n++;
    out[k] = clamp01(n / c) * 255;
  }
  return rgbFloatImage(img.width, img.height, out);
}

/** Salt-and-pepper noise on a fraction `amount` of all values (skimage `s&p`, salt:pepper 1:1). */
export function impulseNoise(img: RgbFloatImage, amount: number, rng: Rng): RgbFloatImage {
  const out = Float32Array.from(img.data);
  for (let k = 0; k < out.length; k++) {
    if (rng.next() < amount) out[k] = rng.next() < 0.5 ? 255 : 0;
  }
  return rgbFloatImage(img.width, img.height, out);
}

function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * n - 2 - i;
  }
  return i;
}

const clampIndex = (i: number, n: number): number => (i < 0 ? 0 : i >= n ? n - 1 : i);

/**
 * Separable Gaussian blur (cv2.GaussianBlur with an explicit odd `ksize` and `sigma`, reflect-101
 * borders). When the off-centre weights are below 1e-12 of the centre one (σ = 0.1 with a 3×3
 * kernel: e^−50) the blur changes values by < 1e-9 grey levels, and the input is returned.
 */
export function gaussianBlur(img: RgbFloatImage, ksize: number, sigma: number): RgbFloatImage {
  const half = (ksize - 1) / 2;
  const g = new Float64Array(ksize);
  let s = 0;
  for (let i = 0; i < ksize; i++) {
    g[i] = Math.exp(-((i - half) ** 2) / (2 * sigma * sigma));
    s += g[i];
  }
  if (g[half - 1] < 1e-12 * g[half]) return img;
  for (let i = 0; i < ksize; i++) g[i] /= s;
  const { width: w, height: h, data: src } = img;
  const rowLen = w * 3;
  // Horizontal pass, row by row; the borders go through reflect-101 indices.
  const tmp = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    const base = y * rowLen;
    for (let x = 0; x < w; x++) {
      let r = 0, gg = 0, b = 0;
      if (x >= half && x < w - half) {
        let o = base + (x - half) * 3;
        for (let t = 0; t < ksize; t++, o += 3) {
          const wt = g[t];
          r += wt * src[o];
          gg += wt * src[o + 1];
          b += wt * src[o + 2];
        }
      } else {
        for (let t = 0; t < ksize; t++) {
          const o = base + reflect101(x + t - half, w) * 3;
          const wt = g[t];
          r += wt * src[o];
          gg += wt * src[o + 1];
          b += wt * src[o + 2];
        }
      }
      const o = base + x * 3;
      tmp[o] = r;
      tmp[o + 1] = gg;
      tmp[o + 2] = b;
    }
  }
  // Vertical pass, also row by row: each output row is a weighted sum of whole rows.
  const out = new Float32Array(src.length);
  const rows = new Int32Array(ksize);
  for (let y = 0; y < h; y++) {
    for (let t = 0; t < ksize; t++) rows[t] = reflect101(y + t - half, h) * rowLen;
    const base = y * rowLen;
    for (let k = 0; k < rowLen; k++) {
      let acc = 0;
      for (let t = 0; t < ksize; t++) acc += g[t] * tmp[rows[t] + k];
      out[base + k] = acc;
    }
  }
  return rgbFloatImage(w, h, out);
}

/**
 * Defocus blur: mean over the disk x² + y² ≤ radius² (reflect-101 borders, as cv2.filter2D),
 * then the anti-aliasing Gaussian (3×3 for radius ≤ 8, else 5×5, σ = aliasBlur).
 */
export function defocusBlur(img: RgbFloatImage, radius: number, aliasBlur: number): RgbFloatImage {
  const { width: w, height: h } = img;
  const r = radius;
  const halfWidths: number[] = [];
  let count = 0;
  for (let dy = -r; dy <= r; dy++) {
    const a = Math.floor(Math.sqrt(r * r - dy * dy) + 1e-9);
    halfWidths.push(a);
    count += 2 * a + 1;
  }
  // Per-row prefix sums over the reflect-padded row, per channel: P[y][(x + r) …].
  const pw = w + 2 * r + 1;
  const prefix = new Float64Array(h * pw * 3);
  for (let y = 0; y < h; y++) {
    const base = y * pw * 3;
    let s0 = 0, s1 = 0, s2 = 0;
    for (let j = 0; j < w + 2 * r; j++) {
      const o = (y * w + reflect101(j - r, w)) * 3;
      s0 += img.data[o];
      s1 += img.data[o + 1];
      s2 += img.data[o + 2];
      const q = base + (j + 1) * 3;
      prefix[q] = s0;
      prefix[q + 1] = s1;
      prefix[q + 2] = s2;
    }
  }
  const out = new Float32Array(img.data.length);
  const inv = 1 / count;
  // out(y, x) = Σ_k (P[row y+k−r][x + r + a_k + 1] − P[row y+k−r][x + r − a_k]) / count, summed in registers.
  const K = 2 * r + 1;
  const hiBase = new Int32Array(K);
  const loBase = new Int32Array(K);
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < K; k++) {
      const base = reflect101(y + k - r, h) * pw * 3;
      hiBase[k] = base + (r + halfWidths[k] + 1) * 3;
      loBase[k] = base + (r - halfWidths[k]) * 3;
    }
    let o = y * w * 3;
    for (let x3 = 0; x3 < w * 3; x3 += 3, o += 3) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let k = 0; k < K; k++) {
        const hi = hiBase[k] + x3;
        const lo = loBase[k] + x3;
        s0 += prefix[hi] - prefix[lo];
        s1 += prefix[hi + 1] - prefix[lo + 1];
        s2 += prefix[hi + 2] - prefix[lo + 2];
      }
      out[o] = s0 * inv;
      out[o + 1] = s1 * inv;
      out[o + 2] = s2 * inv;
    }
  }
  return gaussianBlur(rgbFloatImage(w, h, out), r <= 8 ? 3 : 5, aliasBlur);
}

/**
 * One-sided Gaussian motion blur along `angleDeg` (imagecorruptions' `_motion_blur`, the
 * replacement for ImageMagick's): Σ_i k_i · x shifted by i pixels along the angle, edge values
 * replicated, k_i ∝ exp(−i²/2σ²) for i = 0…2·radius.
 */
export function motionBlurPlane(data: Float32Array, w: number, h: number, ch: number, radius: number, sigma: number, angleDeg: number): Float32Array {
  const width = 2 * radius + 1;
  const k = new Float64Array(width);
  let s = 0;
  for (let i = 0; i < width; i++) {
    k[i] = Math.exp(-(i * i) / (2 * sigma * sigma));
    s += k[i];
  }
  const out = new Float32Array(data.length);
  const sin = Math.sin((angleDeg * Math.PI) / 180);
  const cos = Math.cos((angleDeg * Math.PI) / 180);
  const colIdx = new Int32Array(w);
  for (let i = 0; i < width; i++) {
    const dy = -Math.ceil(i * sin - 0.5);
    const dx = -Math.ceil(i * cos - 0.5);
    if (Math.abs(dy) >= h || Math.abs(dx) >= w) break;
    const wt = k[i] / s;
    for (let x = 0; x < w; x++) colIdx[x] = clampIndex(x - dx, w) * ch;
    for (let y = 0; y < h; y++) {
      const srcRow = clampIndex(y - dy, h) * w * ch;
      const dstRow = y * w * ch;
      for (let x = 0; x < w; x++) {
        const so = srcRow + colIdx[x];
        const d = dstRow + x * ch;
        for (let c = 0; c < ch; c++) out[d + c] += wt * data[so + c];
      }
    }
  }
  return out;
}

export function motionBlur(img: RgbFloatImage, radius: number, sigma: number, angleDeg: number): RgbFloatImage {
  return rgbFloatImage(img.width, img.height, motionBlurPlane(img.data, img.width, img.height, 3, radius, sigma, angleDeg));
}

/** Zoom by `z` ≥ 1 about the centre (bilinear, edges clamped), same size out; `ch` channels. */
export function centreZoom(data: Float32Array, w: number, h: number, ch: number, z: number): Float32Array {
  const out = new Float32Array(data.length);
  const x0 = new Int32Array(w), x1 = new Int32Array(w), fx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const sx = Math.min(w - 1, Math.max(0, (x + 0.5 - w / 2) / z + w / 2 - 0.5));
    x0[x] = Math.floor(sx);
    x1[x] = Math.min(w - 1, x0[x] + 1);
    fx[x] = sx - x0[x];
  }
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, (y + 0.5 - h / 2) / z + h / 2 - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(h - 1, y0 + 1);
    const fy = sy - y0;
    const r0 = y0 * w * ch, r1 = y1 * w * ch;
    for (let x = 0; x < w; x++) {
      const a = x0[x] * ch, b = x1[x] * ch, f = fx[x];
      const d = (y * w + x) * ch;
      for (let c = 0; c < ch; c++) {
        const top = data[r0 + a + c] + f * (data[r0 + b + c] - data[r0 + a + c]);
        const bot = data[r1 + a + c] + f * (data[r1 + b + c] - data[r1 + a + c]);
        out[d + c] = top + fy * (bot - top);
      }
    }
  }
  return out;
}

/** Average of the image and its centre zooms by each factor. */
export function zoomBlur(img: RgbFloatImage, zooms: readonly number[]): RgbFloatImage {
  const acc = new Float32Array(img.data.length);
  for (const z of zooms) {
    const zd = z === 1 ? img.data : centreZoom(img.data, img.width, img.height, 3, z);
    for (let k = 0; k < acc.length; k++) acc[k] += zd[k];
  }
  const n = zooms.length + 1;
  for (let k = 0; k < acc.length; k++) acc[k] = (acc[k] + img.data[k]) / n;
  return rgbFloatImage(img.width, img.height, acc);
}

/** Snow: a thresholded, zoomed, motion-blurred noise layer added twice (once rotated 180°) to a whitened image. */
export function snow(img: RgbFloatImage, c: readonly number[], rng: Rng): RgbFloatImage {
  const [loc, scale, zoom, threshold, blurRadius, blurSigma, mix] = c;
  const { width: w, height: h } = img;
  let layer: Float32Array = new Float32Array(w * h);
  for (let k = 0; k < layer.length; k++) layer[k] = loc + scale * rng.normal();
  layer = centreZoom(layer, w, h, 1, zoom);
  for (let k = 0; k < layer.length; k++) layer[k] = layer[k] < threshold ? 0 : clamp01(layer[k]);
  layer = motionBlurPlane(layer, w, h, 1, blurRadius, blurSigma, rng.uniform(-135, -45));
  for (let k = 0; k < layer.length; k++) layer[k] = Math.round(layer[k] * 255) / 255;
  const out = new Float32Array(img.data.length);
  const n = w * h;
  for (let p = 0; p < n; p++) {
    const o = p * 3;
    const r = img.data[o] / 255, g = img.data[o + 1] / 255, b = img.data[o + 2] / 255;
    const whitened = (0.299 * r + 0.587 * g + 0.114 * b) * 1.5 + 0.5;
    const add = layer[p] + layer[n - 1 - p];
    out[o] = clamp01(mix * r + (1 - mix) * Math.max(r, whitened) + add) * 255;
    out[o + 1] = clamp01(mix * g + (1 - mix) * Math.max(g, whitened) + add) * 255;
    out[o + 2] = clamp01(mix * b + (1 - mix) * Math.max(b, whitened) + add) * 255;
  }
  return rgbFloatImage(w, h, out);
}

/** a·x + b·t, clipped (frost: t is an ice texture of the same size). */
export function blend(img: RgbFloatImage, a: number, tex: RgbFloatImage, b: number): RgbFloatImage {
  const out = new Float32Array(img.data.length);
  for (let k = 0; k < out.length; k++) out[k] = clamp255(a * img.data[k] + b * tex.data[k]);
  return rgbFloatImage(img.width, img.height, out);
}

/**
 * Diamond–square plasma fractal on a `mapsize`² torus (mapsize a power of two), normalised to
 * [0, 1]: ImageNet-C's `plasma_fractal`, including its wibble² perturbation scale.
 */
export function plasmaFractal(mapsize: number, wibbleDecay: number, rng: Rng): Float64Array {
  const n = mapsize;
  const m = new Float64Array(n * n);
  const at = (y: number, x: number): number => m[((y + n) % n) * n + ((x + n) % n)];
  let step = n;
  let wibble = 100;
  const wibbled = (v: number): number => v / 4 + wibble * rng.uniform(-wibble, wibble);
  while (step >= 2) {
    const half = step / 2;
    // squares: centre of each square from its four corners
    for (let y = 0; y < n; y += step) {
      for (let x = 0; x < n; x += step) {
        m[(y + half) * n + x + half] = wibbled(at(y, x) + at(y + step, x) + at(y, x + step) + at(y + step, x + step));
      }
    }
    // diamonds: the two edge midpoints of each square from their four neighbours
    for (let y = 0; y < n; y += step) {
      for (let x = 0; x < n; x += step) {
        m[y * n + x + half] = wibbled(at(y + half, x + half) + at(y - half, x + half) + at(y, x) + at(y, x + step));
        m[(y + half) * n + x] = wibbled(at(y + half, x + half) + at(y + half, x - half) + at(y, x) + at(y + step, x));
      }
    }
    step = half;
    wibble /= wibbleDecay;
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of m) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  for (let k = 0; k < m.length; k++) m[k] = (m[k] - lo) / (hi - lo);
  return m;
}

/** Fog: add a·plasma to x/255 and rescale by max/(max + a). */
export function fog(img: RgbFloatImage, a: number, wibbleDecay: number, rng: Rng): RgbFloatImage {
  const { width: w, height: h } = img;
  let mapsize = 2;
  while (mapsize < Math.max(w, h)) mapsize *= 2;
  const pf = plasmaFractal(mapsize, wibbleDecay, rng);
  let maxVal = 0;
  for (const v of img.data) if (v > maxVal) maxVal = v;
  maxVal /= 255;
  const scale = maxVal / (maxVal + a);
  const out = new Float32Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const f = a * pf[y * mapsize + x];
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = clamp01((img.data[o + c] / 255 + f) * scale) * 255;
    }
  }
  return rgbFloatImage(w, h, out);
}

/** Brightness: HSV value + c (clipped to 1) with hue and saturation kept. */
export function brightness(img: RgbFloatImage, c: number): RgbFloatImage {
  const out = new Float32Array(img.data.length);
  for (let o = 0; o < out.length; o += 3) {
    const r = img.data[o] / 255, g = img.data[o + 1] / 255, b = img.data[o + 2] / 255;
    const v = Math.max(r, g, b);
    const v2 = Math.min(1, v + c);
    if (v === 0) {
      out[o] = out[o + 1] = out[o + 2] = v2 * 255;
    } else {
      const f = (v2 / v) * 255;
      out[o] = r * f;
      out[o + 1] = g * f;
      out[o + 2] = b * f;
    }
  }
  return rgbFloatImage(img.width, img.height, out);
}

/** Contrast: (x − mean_channel)·c + mean_channel. */
export function contrast(img: RgbFloatImage, c: number): RgbFloatImage {
  const n = img.width * img.height;
  const mean = [0, 0, 0];
  for (let o = 0; o < img.data.length; o += 3) {
    mean[0] += img.data[o];
    mean[1] += img.data[o + 1];
    mean[2] += img.data[o + 2];
  }
  for (let ch = 0; ch < 3; ch++) mean[ch] /= n;
  const out = new Float32Array(img.data.length);
  for (let o = 0; o < out.length; o += 3) {
    for (let ch = 0; ch < 3; ch++) out[o + ch] = clamp255((img.data[o + ch] - mean[ch]) * c + mean[ch]);
  }
  return rgbFloatImage(img.width, img.height, out);
}

/** Pixelate: box-downsample to ⌊c·size⌋ then box-upsample back (PIL `Image.BOX` both ways). */
export function pixelate(img: RgbFloatImage, c: number): RgbFloatImage {
  const { width: w, height: h } = img;
  const sw = Math.max(1, Math.floor(w * c));
  const sh = Math.max(1, Math.floor(h * c));
  const small = new Float64Array(sw * sh * 3);
  const wsum = new Float64Array(sw * sh);
  // Area-weighted box downsampling: source pixel x covers [x, x+1) → [x·sw/w, (x+1)·sw/w).
  const spans = (n: number, m: number): { i: number; j: number; f: number }[][] => {
    const res: { i: number; j: number; f: number }[][] = [];
    for (let x = 0; x < n; x++) {
      const a = (x * m) / n, b = ((x + 1) * m) / n;
      const parts: { i: number; j: number; f: number }[] = [];
      for (let j = Math.floor(a); j < b && j < m; j++) parts.push({ i: x, j, f: Math.min(b, j + 1) - Math.max(a, j) });
      res.push(parts);
    }
    return res;
  };
  const xs = spans(w, sw);
  const ys = spans(h, sh);
  for (let y = 0; y < h; y++) {
    for (const py of ys[y]) {
      for (let x = 0; x < w; x++) {
        for (const px of xs[x]) {
          const f = py.f * px.f;
          const q = py.j * sw + px.j;
          const o = (y * w + x) * 3;
          small[q * 3] += f * img.data[o];
          small[q * 3 + 1] += f * img.data[o + 1];
          small[q * 3 + 2] += f * img.data[o + 2];
          wsum[q] += f;
        }
      }
    }
  }
  const out = new Float32Array(img.data.length);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(sh - 1, Math.floor(((y + 0.5) * sh) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(sw - 1, Math.floor(((x + 0.5) * sw) / w));
      const q = sy * sw + sx;
      const o = (y * w + x) * 3;
      for (let ch = 0; ch < 3; ch++) out[o + ch] = small[q * 3 + ch] / wsum[q];
    }
  }
  return rgbFloatImage(w, h, out);
}

/** JPEG round trip at `quality`. */
export async function jpegCompression(img: RgbFloatImage, quality: number): Promise<RgbFloatImage> {
  const jpg = await sharp(toRgb8Image(img).data, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality }).toBuffer();
  const { data, info } = await sharp(jpg).raw().toBuffer({ resolveWithObject: true });
  const out = new Float32Array(info.width * info.height * 3);
  for (let k = 0; k < out.length; k++) out[k] = data[k];
  return rgbFloatImage(info.width, info.height, out);
}
