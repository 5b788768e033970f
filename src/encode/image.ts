/**
 * Decoded images: 8-bit RGB, interleaved, row-major — what every image encoder receives, so a
 * file is decoded once and shared by whichever encoders need it.
 *
 * Decoding follows what the authors' Python pipeline does with PIL (`Image.open(...)
 * .convert("RGB")`): alpha is dropped (not composited), greyscale is expanded to three equal
 * channels, and EXIF orientation is *not* applied. Decoding uses sharp (libvips).
 */
import sharp from 'sharp';
import { InputError } from '../errors.js';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width × height × 3 bytes, RGB interleaved, row-major. */
  readonly data: Uint8Array;
}

/** An RgbImage view over `data`; throws if the length does not match. */
export function rgbImage(width: number, height: number, data: Uint8Array): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`rgbImage: bad size ${width}×${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(`rgbImage: ${data.length} bytes for ${width}×${height} RGB, expected ${width * height * 3}`);
  }
  return { width, height, data };
}

/**
 * Decode encoded image bytes (JPEG, PNG, WebP, GIF, TIFF, …) to RGB. `label` names the image in
 * errors (a file path, or `sample <id>`): a corrupt or unsupported image is an InputError.
 */
export async function decodeImage(bytes: Uint8Array, label: string): Promise<RgbImage> {
  if (bytes.length === 0) throw new InputError(`${label}: image is empty (0 bytes)`);
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return rgbImage(info.width, info.height, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } catch (e) {
    throw new InputError(`${label}: cannot decode image (${(e as Error).message.split('\n')[0]})`);
  }
}
