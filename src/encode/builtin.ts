/**
 * Built-in encoders: deterministic, weight-free, always available. They are a STAND-IN for
 * offline use, demos and tests — not the paper's recipe, and numbers computed with them are
 * not comparable with published ones. They do behave like embeddings in the ways the estimators
 * need: 768-d, unit norm, identical inputs map to identical vectors on every run and machine,
 * and similar inputs land closer than unrelated ones.
 *
 * - Text: hashed bag of word unigrams and bigrams and character 3–5-grams (NFKC, lower-cased,
 *   sub-linear term weights), projected to 768-d by a fixed-seed sparse random sign projection
 *   (each feature adds ±w/√8 to 8 coordinates chosen by hashing it — a count-sketch /
 *   sparse Johnson–Lindenstrauss map, so no 2^k × 768 matrix is ever stored).
 * - Image: colour layout (mean RGB on 1×1, 2×2, 4×4 and 8×8 grids), a joint 4×4×4 RGB
 *   histogram, gradient-orientation histograms (8 bins on a 4×4 grid, HOG-like, on a 64×64
 *   area-averaged copy, weighted by edge energy) and global
 *   statistics (brightness, contrast, edge energy, colourfulness), each block scaled to unit
 *   norm, projected to 768-d by a fixed-seed Gaussian matrix.
 */
import type { Matrix } from '../core/matrix.js';
import type { ImageEncoder, TextEncoder } from './encoder.js';
import { normalizeRowsF32 } from './encoder.js';
import type { Rgb8Image } from '../io/image.js';

export const BUILTIN_DIM = 768;
export const BUILTIN_TEXT_ID = 'builtin-text-hashed-ngrams';
export const BUILTIN_IMAGE_ID = 'builtin-image-stats';
export const BUILTIN_VERSION = '1';
const SEED = 0x6d6c6c6d; // "mllm"

/** FNV-1a 32-bit over UTF-16 code units, seeded. */
function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** splitmix32 step: a well-mixed 32-bit value from a 32-bit state. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

const SKETCH = 8;

/** Add `w` × (the feature's sparse ±1/√8 vector) to `acc` (length BUILTIN_DIM). */
function addFeature(acc: Float64Array, off: number, feature: string, w: number): void {
  let h = fnv1a(feature, SEED);
  const a = w / Math.sqrt(SKETCH);
  for (let k = 0; k < SKETCH; k++) {
    h = mix32(h + k);
    acc[off + (h % BUILTIN_DIM)] += h & 0x80000000 ? -a : a;
  }
}

/** Words (runs of letters, marks and digits) and single symbols, after NFKC + lower-casing. */
export function textTokens(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu) ?? [];
}

/** The weighted hashed features of one text (exported for tests). */
export function textFeatures(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (f: string, c: number) => counts.set(f, (counts.get(f) ?? 0) + c);
  const toks = textTokens(text);
  for (let i = 0; i < toks.length; i++) {
    add(`w:${toks[i]}`, 1);
    if (i + 1 < toks.length) add(`b:${toks[i]} ${toks[i + 1]}`, 1);
    const padded = `<${toks[i]}>`;
    const chars = [...padded];
    for (let n = 3; n <= 5; n++) for (let s = 0; s + n <= chars.length; s++) add(`c:${chars.slice(s, s + n).join('')}`, 1);
  }
  if (toks.length === 0) add('e:', 1);
  const classWeight: Record<string, number> = { w: 1, b: 0.5, c: 0.35, e: 1 };
  const out = new Map<string, number>();
  for (const [f, c] of counts) out.set(f, classWeight[f[0]] * (1 + Math.log(c)));
  return out;
}

export class BuiltinTextEncoder implements TextEncoder {
  readonly id = BUILTIN_TEXT_ID;
  readonly version = BUILTIN_VERSION;
  readonly dim = BUILTIN_DIM;

  async embedTexts(texts: readonly string[]): Promise<Matrix<Float32Array>> {
    const acc = new Float64Array(texts.length * BUILTIN_DIM);
    for (let i = 0; i < texts.length; i++) {
      for (const [f, w] of textFeatures(texts[i])) addFeature(acc, i * BUILTIN_DIM, f, w);
    }
    return normalizeRowsF32(texts.length, BUILTIN_DIM, acc);
  }
}

const GRID = 64;
const EDGE_FLOOR = 0.03;

/** Area-average `img` to GRID × GRID, RGB in [0, 1] (float64, planar per pixel: r, g, b). */
function areaResize(img: Rgb8Image): Float64Array {
  const out = new Float64Array(GRID * GRID * 3);
  const wts = new Float64Array(GRID * GRID);
  const { width: w, height: h, data } = img;
  const colCell = new Int32Array(w);
  for (let x = 0; x < w; x++) colCell[x] = Math.min(GRID - 1, Math.floor((x * GRID) / w));
  for (let y = 0; y < h; y++) {
    const rowBase = Math.min(GRID - 1, Math.floor((y * GRID) / h)) * GRID;
    let p = y * w * 3;
    for (let x = 0; x < w; x++, p += 3) {
      const g = rowBase + colCell[x];
      out[g * 3] += data[p];
      out[g * 3 + 1] += data[p + 1];
      out[g * 3 + 2] += data[p + 2];
      wts[g] += 1;
    }
  }
  // Images smaller than the grid leave cells empty: fill them from the nearest source pixel.
  for (let gy = 0; gy < GRID; gy++) {
    for (let gx = 0; gx < GRID; gx++) {
      const g = gy * GRID + gx;
      if (wts[g] > 0) {
        for (let c = 0; c < 3; c++) out[g * 3 + c] /= 255 * wts[g];
      } else {
        const p = (Math.min(h - 1, Math.floor(((gy + 0.5) * h) / GRID)) * w + Math.min(w - 1, Math.floor(((gx + 0.5) * w) / GRID))) * 3;
        for (let c = 0; c < 3; c++) out[g * 3 + c] = data[p + c] / 255;
      }
    }
  }
  return out;
}

function unitBlock(v: number[], weight: number): number[] {
  let s = 0;
  for (const x of v) s += x * x;
  const k = s > 0 ? weight / Math.sqrt(s) : 0;
  return v.map((x) => x * k);
}

/** The image feature vector before projection (exported for tests). */
export function imageFeatures(img: Rgb8Image): Float64Array {
  const px = areaResize(img);
  const layout: number[] = [];
  for (const cells of [1, 2, 4, 8]) {
    const step = GRID / cells;
    for (let cy = 0; cy < cells; cy++) {
      for (let cx = 0; cx < cells; cx++) {
        const m = [0, 0, 0];
        for (let y = cy * step; y < (cy + 1) * step; y++) {
          for (let x = cx * step; x < (cx + 1) * step; x++) for (let c = 0; c < 3; c++) m[c] += px[(y * GRID + x) * 3 + c];
        }
        for (let c = 0; c < 3; c++) layout.push(m[c] / (step * step) - 0.5);
      }
    }
  }
  const hist = new Array<number>(64).fill(0);
  const gray = new Float64Array(GRID * GRID);
  let sat = 0;
  const rg: number[] = [];
  const yb: number[] = [];
  for (let i = 0; i < GRID * GRID; i++) {
    const r = px[i * 3];
    const g = px[i * 3 + 1];
    const b = px[i * 3 + 2];
    const q = (v: number) => Math.min(3, Math.floor(v * 4));
    hist[q(r) * 16 + q(g) * 4 + q(b)] += 1 / (GRID * GRID);
    gray[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    const mx = Math.max(r, g, b);
    sat += mx > 0 ? (mx - Math.min(r, g, b)) / mx : 0;
    rg.push(r - g);
    yb.push(0.5 * (r + g) - b);
  }
  const histC = hist.map((v) => v - 1 / 64);
  const bins = 8;
  const hog = new Array<number>(16 * bins).fill(0);
  let edge = 0;
  // Gradients of a 3×3 box-blurred copy (noise is averaged away before differencing).
  const blur = new Float64Array(GRID * GRID);
  for (let y = 0; y < GRID; y++) {
    for (let x = 0; x < GRID; x++) {
      let s = 0;
      let k = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < GRID && xx >= 0 && xx < GRID) {
            s += gray[yy * GRID + xx];
            k++;
          }
        }
      }
      blur[y * GRID + x] = s / k;
    }
  }
  for (let y = 1; y < GRID - 1; y++) {
    for (let x = 1; x < GRID - 1; x++) {
      const gx = blur[y * GRID + x + 1] - blur[y * GRID + x - 1];
      const gy = blur[(y + 1) * GRID + x] - blur[(y - 1) * GRID + x];
      // Soft threshold: differences below ~8 grey levels are treated as noise, not edges.
      const mag = Math.max(0, Math.hypot(gx, gy) - EDGE_FLOOR);
      edge += mag;
      const ang = Math.atan2(gy, gx) + Math.PI; // 0..2π
      const bin = Math.min(bins - 1, Math.floor((ang / (2 * Math.PI)) * bins));
      const cell = Math.floor(y / 16) * 4 + Math.floor(x / 16);
      hog[cell * bins + bin] += mag;
    }
  }
  // Normalised by the image's total edge energy (not per cell), so flat cells — where the
  // orientations are mostly noise — weigh little.
  for (let k = 0; k < hog.length; k++) hog[k] = edge > 1e-9 ? hog[k] / edge : 0;
  const mean = (a: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i];
    return s / a.length;
  };
  const sd = (a: ArrayLike<number>) => {
    const m = mean(a);
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] - m) ** 2;
    return Math.sqrt(s / a.length);
  };
  const n = GRID * GRID;
  const colourfulness = Math.hypot(sd(rg), sd(yb)) + 0.3 * Math.hypot(mean(rg), mean(yb));
  const stats = [mean(gray) - 0.5, sd(gray) - 0.25, edge / n - 0.02, colourfulness - 0.2, sat / n - 0.3];
  return Float64Array.from([...unitBlock(layout, 1), ...unitBlock(histC, 1), ...unitBlock(hog, 1), ...unitBlock(stats, 0.5)]);
}

let projection: Float32Array | undefined;

/** The fixed-seed Gaussian projection [features, 768], generated once (Box–Muller on splitmix32). */
function imageProjection(features: number): Float32Array {
  if (projection && projection.length === features * BUILTIN_DIM) return projection;
  const p = new Float32Array(features * BUILTIN_DIM);
  let state = SEED >>> 0;
  const uniform = () => {
    state = (state + 0x9e3779b9) >>> 0;
    return (mix32(state) + 0.5) / 4294967296;
  };
  for (let i = 0; i < p.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    p[i] = r * Math.cos(t);
    if (i + 1 < p.length) p[i + 1] = r * Math.sin(t);
  }
  projection = p;
  return p;
}

export class BuiltinImageEncoder implements ImageEncoder {
  readonly id = BUILTIN_IMAGE_ID;
  readonly version = BUILTIN_VERSION;
  readonly dim = BUILTIN_DIM;

  async embedImages(images: readonly Rgb8Image[]): Promise<Matrix<Float32Array>> {
    const acc = new Float64Array(images.length * BUILTIN_DIM);
    for (let i = 0; i < images.length; i++) {
      const f = imageFeatures(images[i]);
      const p = imageProjection(f.length);
      const o = i * BUILTIN_DIM;
      for (let k = 0; k < f.length; k++) {
        const fk = f[k];
        if (fk === 0) continue;
        const row = k * BUILTIN_DIM;
        for (let d = 0; d < BUILTIN_DIM; d++) acc[o + d] += fk * p[row + d];
      }
    }
    return normalizeRowsF32(images.length, BUILTIN_DIM, acc);
  }
}
