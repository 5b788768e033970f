/**
 * Ice textures for the frost corruption. ImageNet-C blends a random crop of one of six
 * photographs of frost on glass; those photographs are not shipped here, so by default the
 * textures are synthesised (`FrostTextures.procedural`), or read from a user folder of images
 * (`FrostTextures.fromFolder`, e.g. the ImageNet-C frost photos) exactly like the reference:
 * pick one at random, upscale it if it is smaller than the image, take a random crop.
 *
 * The procedural texture (documented difference from the photographs): a dim, slightly blue
 * haze of fractal value noise (5 octaves) plus bright branching ice crystals (random walks
 * with side branches at ±60°), softened by a 3×3 blur. Its mean level (~0.4 of full scale) is
 * close to the photographs', so each severity darkens/whitens the image by a similar amount,
 * but its structure is not theirs.
 */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../errors.js';
import { decodeImage, IMAGE_FORMATS, rgbFloatImage, toFloatImage, toRgb8Image, type RgbFloatImage } from '../io/image.js';
import { readImageFile } from '../io/image-file.js';
import { Rng } from '../core/random.js';

const TEXTURE_EXTENSIONS = [...IMAGE_FORMATS.map((f) => `.${f}`), '.jpg', '.tif'];

/** Number of distinct procedural textures (the reference has six photographs). */
const PROCEDURAL_COUNT = 6;
const MARGIN = 64;

/** How to recreate a texture source (e.g. in a worker thread). */
export type FrostSpec = { readonly kind: 'procedural'; readonly seed: number } | { readonly kind: 'folder'; readonly dir: string };

export class FrostTextures {
  private readonly cache = new Map<string, Promise<RgbFloatImage>>();

  private constructor(
    readonly spec: FrostSpec,
    private readonly count: number,
    private readonly make: (index: number, minW: number, minH: number) => Promise<RgbFloatImage>,
  ) {}

  /** Synthesised textures; `seed` fixes them. */
  static procedural(seed: number): FrostTextures {
    return new FrostTextures({ kind: 'procedural', seed }, PROCEDURAL_COUNT, async (index, minW, minH) =>
      proceduralIce(minW + MARGIN, minH + MARGIN, Rng.forKey(seed, 'frost-texture', index, minW, minH)),
    );
  }

  /** Texture images from a folder (any supported format, by extension), in name order. */
  static async fromFolder(dir: string): Promise<FrostTextures> {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => TEXTURE_EXTENSIONS.includes(extname(n).toLowerCase())).sort();
    } catch (e) {
      throw new InputError(`${dir}: cannot read frost texture folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (names.length === 0) throw new InputError(`${dir}: no texture images (${TEXTURE_EXTENSIONS.join(', ')}) in the frost texture folder`);
    const images = await Promise.all(names.map(async (n) => {
      const file = join(dir, n);
      return toFloatImage((await decodeImage(await readImageFile(file, file), file)).image);
    }));
    return new FrostTextures({ kind: 'folder', dir }, images.length, async (index, minW, minH) => upscaleToCover(images[index], minW, minH));
  }

  static async fromSpec(spec: FrostSpec): Promise<FrostTextures> {
    return spec.kind === 'procedural' ? FrostTextures.procedural(spec.seed) : FrostTextures.fromFolder(spec.dir);
  }

  /** `procedural` or the folder the textures came from (recorded in manifests). */
  get source(): string {
    return this.spec.kind === 'procedural' ? 'procedural' : this.spec.dir;
  }

  /** A random crop of width×height from a randomly chosen texture. */
  async crop(width: number, height: number, rng: Rng): Promise<RgbFloatImage> {
    const index = rng.int(this.count);
    const key = `${index}:${width}x${height}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.make(index, width, height);
      this.cache.set(key, p);
    }
    const tex = await p;
    const x0 = rng.int(tex.width - width + 1);
    const y0 = rng.int(tex.height - height + 1);
    const out = new Float32Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      const src = ((y0 + y) * tex.width + x0) * 3;
      out.set(tex.data.subarray(src, src + width * 3), y * width * 3);
    }
    return rgbFloatImage(width, height, out);
  }
}

/** Scale `img` up (keeping aspect, cubic) until it covers minW×minH; unchanged if it already does. */
async function upscaleToCover(img: RgbFloatImage, minW: number, minH: number): Promise<RgbFloatImage> {
  const f = Math.max(minW / img.width, minH / img.height);
  if (f <= 1) return img;
  const w = Math.ceil(img.width * f), h = Math.ceil(img.height * f);
  const { data } = await sharp(toRgb8Image(img).data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { kernel: 'cubic', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return rgbFloatImage(w, h, Float32Array.from(data));
}

/** Fractal value noise in [0, 1] on a w×h grid. */
function valueNoise(w: number, h: number, rng: Rng, octaves: number): Float32Array {
  const out = new Float32Array(w * h);
  let amp = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const cell = Math.max(2, Math.floor(128 / 2 ** o));
    const gw = Math.ceil(w / cell) + 2, gh = Math.ceil(h / cell) + 2;
    const grid = new Float32Array(gw * gh);
    for (let k = 0; k < grid.length; k++) grid[k] = rng.next();
    for (let y = 0; y < h; y++) {
      const gy = y / cell, y0 = Math.floor(gy), fy = gy - y0;
      const sy = fy * fy * (3 - 2 * fy);
      for (let x = 0; x < w; x++) {
        const gx = x / cell, x0 = Math.floor(gx), fx = gx - x0;
        const sx = fx * fx * (3 - 2 * fx);
        const a = grid[y0 * gw + x0], b = grid[y0 * gw + x0 + 1];
        const c = grid[(y0 + 1) * gw + x0], d = grid[(y0 + 1) * gw + x0 + 1];
        out[y * w + x] += amp * ((a + sx * (b - a)) * (1 - sy) + (c + sx * (d - c)) * sy);
      }
    }
    total += amp;
    amp *= 0.5;
  }
  for (let k = 0; k < out.length; k++) out[k] /= total;
  return out;
}

/** Procedural frost: haze + branching crystals, tinted slightly blue, RGB in [0, 255]. */
export function proceduralIce(w: number, h: number, rng: Rng): RgbFloatImage {
  const haze = valueNoise(w, h, rng, 5);
  const ice = new Float32Array(w * h);
  for (let k = 0; k < ice.length; k++) ice[k] = 0.2 + 0.5 * haze[k];
  const crystals = Math.round((w * h) / 800);
  const stack: { x: number; y: number; dir: number; len: number; v: number }[] = [];
  for (let s = 0; s < crystals; s++) {
    stack.push({ x: rng.next() * w, y: rng.next() * h, dir: rng.next() * 2 * Math.PI, len: 15 + rng.next() * 60, v: 0.55 + 0.45 * rng.next() });
    while (stack.length > 0) {
      const b = stack.pop()!;
      let { x, y, dir } = b;
      for (let t = 0; t < b.len; t++) {
        const xi = Math.floor(x), yi = Math.floor(y);
        if (xi < 0 || yi < 0 || xi >= w || yi >= h) break;
        const q = yi * w + xi;
        if (ice[q] < b.v) ice[q] = b.v;
        dir += (rng.next() - 0.5) * 0.3;
        x += Math.cos(dir);
        y += Math.sin(dir);
        if (b.len > 6 && rng.next() < 0.06) {
          stack.push({ x, y, dir: dir + (rng.next() < 0.5 ? 1 : -1) * (Math.PI / 3), len: b.len * 0.45, v: b.v * 0.9 });
        }
      }
    }
  }
  const out = new Float32Array(w * h * 3);
  const tint = [0.86, 0.93, 1.0];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0, n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          s += ice[yy * w + xx];
          n++;
        }
      }
      const v = Math.min(1, (0.5 * ice[y * w + x] + 0.5 * (s / n)));
      const o = (y * w + x) * 3;
      out[o] = v * tint[0] * 255;
      out[o + 1] = v * tint[1] * 255;
      out[o + 2] = v * tint[2] * 255;
    }
  }
  return rgbFloatImage(w, h, out);
}
