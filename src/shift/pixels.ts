/**
 * Encoding corrupted pixels back to a file for `shift` (decoding is the one decoder in
 * io/image.ts), and the PSNR used to check corruption strength.
 */
import sharp from 'sharp';
import { toRgb8Image, type ImageFormat, type RgbFloatImage } from '../io/image.js';

/** What `shift` writes: the source format, except BMP (which libvips cannot write) becomes PNG. */
export type EncodedFormat = Exclude<ImageFormat, 'bmp'>;

export function outputFormat(source: ImageFormat): EncodedFormat {
  return source === 'bmp' ? 'png' : source;
}

export interface EncodeOptions {
  /** JPEG/WebP quality for the re-encoded output (default 95). */
  readonly quality?: number;
  readonly orientation?: number;
}

/** Encode RGB floats in `format`. Deterministic for a given sharp/libvips build. */
export async function encodeImage(img: RgbFloatImage, format: EncodedFormat, opts: EncodeOptions = {}): Promise<Uint8Array> {
  let s = sharp(toRgb8Image(img).data, { raw: { width: img.width, height: img.height, channels: 3 } });
  if (opts.orientation) s = s.withMetadata({ orientation: opts.orientation });
  const quality = opts.quality ?? 95;
  if (format === 'jpeg') s = s.jpeg({ quality });
  else if (format === 'webp') s = s.webp({ quality });
  else if (format === 'png') s = s.png();
  else s = s.toFormat(format);
  return new Uint8Array(await s.toBuffer());
}

/** Peak signal-to-noise ratio (dB, peak 255) between two images of the same size; Infinity when equal. */
export function psnr(a: RgbFloatImage, b: RgbFloatImage): number {
  if (a.width !== b.width || a.height !== b.height) throw new RangeError('psnr: images differ in size');
  let se = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i];
    se += d * d;
  }
  const mse = se / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
