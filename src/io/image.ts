/**
 * The one image decoder. Every command that looks at pixels (embed, shift, infer's check before
 * upload, the demo) decodes here, to the same pixels the authors' pipeline sees with PIL's
 * `Image.open(p).convert("RGB")` (E4):
 * - embedded ICC profiles are ignored (no colour management);
 * - CMYK (JPEG, Adobe-inverted as libjpeg reports it, and TIFF) uses PIL's fixed formula
 *   `nk = 255 − k; v = nk − round(c·nk/255)` instead of a colour profile;
 * - 16-bit greyscale (PIL mode I) is clipped at 255; other 16-bit images keep their high byte;
 * - alpha is dropped, not composited; palettes (+ transparency) are looked up; 1-bit and grey
 *   become three equal channels; EXIF orientation is not applied; only the first frame counts.
 * JPEG, PNG, WebP, GIF and TIFF are decoded by sharp (libvips), BMP by `bmp.ts`.
 * A decoded image larger than `maxPixels` is refused from its header, before any pixel buffer
 * is allocated (a 420 KB PNG can declare 12000 × 12000 pixels).
 */
import sharp, { type Metadata } from 'sharp';
import { InputError } from '../errors.js';
import { bmpHeader, decodeBmp } from './bmp.js';
import { DEFAULT_MAX_IMAGE_PIXELS, FORMAT_LIST, sniffImageFormat, type ImageFormat } from './image-format.js';

export { DEFAULT_MAX_IMAGE_PIXELS, FORMAT_LIST, IMAGE_FORMATS, imageExtension, imageMediaType, sniffImageFormat, type ImageFormat } from './image-format.js';
import { gifTransparentColour } from './gif.js';

/** Decoded 8-bit RGB, interleaved, row-major: what the encoders receive. */
export interface Rgb8Image {
  readonly width: number;
  readonly height: number;
  /** width × height × 3 bytes. */
  readonly data: Uint8Array;
}

/** Float RGB in [0, 255], interleaved, row-major: the working format of the image shifts. */
export interface RgbFloatImage {
  readonly width: number;
  readonly height: number;
  /** width × height × 3 values (float so corruptions compose without rounding). */
  readonly data: Float32Array;
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this (default DEFAULT_MAX_IMAGE_PIXELS). */
  readonly maxPixels?: number;
}

export interface DecodedImage {
  readonly image: Rgb8Image;
  readonly format: ImageFormat;
  /** EXIF orientation when not 1 (not applied; kept so re-encoded copies show the same way). */
  readonly orientation?: number;
}

/** An Rgb8Image over `data`; throws if the length does not match. */
export function rgb8Image(width: number, height: number, data: Uint8Array): Rgb8Image {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`rgb8Image: bad size ${width}×${height}`);
  if (data.length !== width * height * 3) throw new RangeError(`rgb8Image: ${data.length} bytes for ${width}×${height} RGB, expected ${width * height * 3}`);
  return { width, height, data };
}

/** An RgbFloatImage over `data` (zeros when absent); throws if the length does not match. */
export function rgbFloatImage(width: number, height: number, data?: Float32Array): RgbFloatImage {
  const d = data ?? new Float32Array(width * height * 3);
  if (d.length !== width * height * 3) throw new RangeError(`rgbFloatImage: data length ${d.length} ≠ ${width}×${height}×3`);
  return { width, height, data: d };
}

export function toFloatImage(img: Rgb8Image): RgbFloatImage {
  return { width: img.width, height: img.height, data: Float32Array.from(img.data) };
}

/** Clamp to [0, 255] and round to bytes (round half to even: the typed-array conversion ToUint8Clamp). */
export function toRgb8Image(img: RgbFloatImage): Rgb8Image {
  return { width: img.width, height: img.height, data: new Uint8Array(new Uint8ClampedArray(img.data).buffer) };
}

/** libvips' multi-line message as one line, without its "VipsForeignLoad…:" prefixes. */
function oneLine(msg: string): string {
  const lines = msg.split('\n').map((l) => l.replace(/^\w*(Vips|vips)\w*:\s*/, '').trim()).filter((l) => l !== '');
  return [...new Set(lines)].join('; ').slice(0, 200) || 'unknown error';
}

function checkPixels(width: number, height: number, max: number, label: string): void {
  if (width * height > max) {
    throw new InputError(`${label}: image is ${width}×${height} = ${width * height} pixels, over the limit of ${max} (raise it with --max-image-pixels)`);
  }
}

/**
 * Decode encoded image bytes to RGB as PIL's `convert("RGB")` does (see the file comment).
 * `label` starts every error (a path, or `sample <id>: <path>`): an empty, corrupt, truncated,
 * unsupported or oversized image is an InputError of one line.
 */
export async function decodeImage(bytes: Uint8Array, label: string, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  if (bytes.length === 0) throw new InputError(`${label}: image is empty (0 bytes)`);
  const format = sniffImageFormat(bytes);
  if (!format) throw new InputError(`${label}: cannot decode image (not a ${FORMAT_LIST} file)`);
  if (format === 'bmp') {
    const h = bmpHeader(bytes, label);
    checkPixels(h.width, h.height, maxPixels, label);
    const d = decodeBmp(bytes, label);
    return { image: rgb8Image(d.width, d.height, d.data), format };
  }
  const input = { failOn: 'error', ignoreIcc: true, limitInputPixels: false } as const;
  let meta: Metadata;
  try {
    meta = await sharp(bytes, input).metadata();
  } catch (e) {
    throw new InputError(`${label}: cannot decode image (${oneLine((e as Error).message)})`);
  }
  checkPixels(meta.width ?? 0, meta.height ?? 0, maxPixels, label);
  const orientation = meta.orientation && meta.orientation !== 1 ? { orientation: meta.orientation } : {};
  try {
    const s = sharp(bytes, { ...input, limitInputPixels: maxPixels });
    let data: Uint8Array;
    let width: number;
    let height: number;
    if (meta.space === 'cmyk') {
      const r = await s.pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
      ({ width, height } = r.info);
      data = cmykToRgb(r.data, r.info.channels);
    } else if (meta.space === 'grey16' && meta.channels === 1) {
      const r = await s.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
      ({ width, height } = r.info);
      const aligned = r.data.byteOffset % 2 === 0 ? r.data : Buffer.from(r.data);
      data = grey16ToRgb(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2));
    } else if (format === 'gif' && gifTransparentColour(bytes)) {
      const r = await s.toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      ({ width, height } = r.info);
      data = fillTransparent(r.data, gifTransparentColour(bytes)!);
    } else {
      const r = await s.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      ({ width, height } = r.info);
      if (r.info.channels !== 3) throw new Error(`decoded to ${r.info.channels} channels`);
      data = new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength);
    }
    return { image: rgb8Image(width, height, data), format, ...orientation };
  } catch (e) {
    throw new InputError(`${label}: cannot decode image (${oneLine((e as Error).message)})`);
  }
}

/** RGBA → RGB with fully transparent pixels set to `rgb` (PIL's palette colour of the transparency index). */
function fillTransparent(src: Uint8Array, rgb: readonly number[]): Uint8Array {
  const n = src.length / 4;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const t = src[4 * p + 3] === 0;
    for (let c = 0; c < 3; c++) out[3 * p + c] = t ? rgb[c] : src[4 * p + c];
  }
  return out;
}

/** Decoded pixel count from the header alone (0 when the bytes are not a readable image: decoding will say why). */
export async function imagePixels(bytes: Uint8Array, label: string): Promise<number> {
  const format = sniffImageFormat(bytes);
  try {
    if (format === 'bmp') {
      const h = bmpHeader(bytes, label);
      return h.width * h.height;
    }
    if (!format) return 0;
    const m = await sharp(bytes, { limitInputPixels: false }).metadata();
    return (m.width ?? 0) * (m.height ?? 0);
  } catch {
    return 0;
  }
}

/** PIL's cmyk2rgb: nk = 255 − k, v = clip(nk − MULDIV255(c, nk)) with MULDIV255 its rounded a·b/255. */
function cmykToRgb(src: Uint8Array, channels: number): Uint8Array {
  const n = src.length / channels;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const q = p * channels;
    const nk = 255 - src[q + 3];
    for (let c = 0; c < 3; c++) {
      const t = src[q + c] * nk + 128;
      out[3 * p + c] = nk - (((t >> 8) + t) >> 8);
    }
  }
  return out;
}

/** PIL opens 16-bit grey as 32-bit integers (mode I) and clips at 255 when converting to RGB. */
function grey16ToRgb(src: Uint16Array): Uint8Array {
  const out = new Uint8Array(src.length * 3);
  for (let p = 0; p < src.length; p++) out.fill(Math.min(255, src[p]), 3 * p, 3 * p + 3);
  return out;
}
