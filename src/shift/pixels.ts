/**
 * Raw RGB pixels for the image corruptions: decode with sharp to interleaved float RGB in
 * [0, 255], operate in JavaScript, encode back to the source format.
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { InputError } from '../errors.js';

/** Interleaved RGB, values in [0, 255] (float so corruptions compose without rounding). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export type EncodedFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif';

export interface DecodedImage {
  readonly image: RgbImage;
  readonly format: EncodedFormat;
  /** EXIF orientation of the source (kept on output so viewers show it the same way). */
  readonly orientation?: number;
}

export function rgbImage(width: number, height: number, data?: Float32Array): RgbImage {
  const d = data ?? new Float32Array(width * height * 3);
  if (d.length !== width * height * 3) throw new RangeError(`rgbImage: data length ${d.length} ≠ ${width}×${height}×3`);
  return { width, height, data: d };
}

/** Decode encoded image bytes (JPEG, PNG, WebP, TIFF, GIF) to RGB floats; alpha is dropped. */
export async function decodeImage(bytes: Uint8Array, where = 'image'): Promise<DecodedImage> {
  let meta: Metadata;
  let raw: { data: Buffer; info: OutputInfo };
  try {
    const s = sharp(bytes, { failOn: 'error' });
    meta = await s.metadata();
    raw = await s.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new InputError(`${where}: cannot decode image (${(e as Error).message})`);
  }
  const format = meta.format as string;
  if (!['jpeg', 'png', 'webp', 'tiff', 'gif'].includes(format)) throw new InputError(`${where}: unsupported image format "${format}"`);
  const { width, height, channels } = raw.info;
  const data = new Float32Array(width * height * 3);
  if (channels === 3) {
    data.set(raw.data);
  } else {
    for (let p = 0, q = 0; p < width * height; p++, q += channels) {
      const o = p * 3;
      data[o] = raw.data[q];
      data[o + 1] = raw.data[q + (channels > 1 ? 1 : 0)];
      data[o + 2] = raw.data[q + (channels > 2 ? 2 : 0)];
    }
  }
  return { image: { width, height, data }, format: format as EncodedFormat, ...(meta.orientation && meta.orientation !== 1 ? { orientation: meta.orientation } : {}) };
}

/** Clamp to [0, 255] and round to bytes (round half to even: the typed-array conversion ToUint8Clamp). */
export function toBytes(img: RgbImage): Buffer {
  const clamped = new Uint8ClampedArray(img.data);
  return Buffer.from(clamped.buffer, clamped.byteOffset, clamped.byteLength);
}

export interface EncodeOptions {
  /** JPEG/WebP quality for the re-encoded output (default 95). */
  readonly quality?: number;
  readonly orientation?: number;
}

/** Encode RGB floats in `format`. Deterministic for a given sharp/libvips build. */
export async function encodeImage(img: RgbImage, format: EncodedFormat, opts: EncodeOptions = {}): Promise<Uint8Array> {
  let s = sharp(toBytes(img), { raw: { width: img.width, height: img.height, channels: 3 } });
  if (opts.orientation) s = s.withMetadata({ orientation: opts.orientation });
  const quality = opts.quality ?? 95;
  if (format === 'jpeg') s = s.jpeg({ quality });
  else if (format === 'webp') s = s.webp({ quality });
  else if (format === 'png') s = s.png();
  else s = s.toFormat(format);
  return new Uint8Array(await s.toBuffer());
}

/** Peak signal-to-noise ratio (dB, peak 255) between two images of the same size; Infinity when equal. */
export function psnr(a: RgbImage, b: RgbImage): number {
  if (a.width !== b.width || a.height !== b.height) throw new RangeError('psnr: images differ in size');
  let se = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i];
    se += d * d;
  }
  const mse = se / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
