/**
 * Images as base64 data URLs for the chat API's `image_url` parts. Every image is decoded first
 * (a truncated or corrupt file is refused here, never uploaded); JPEG, PNG, GIF and WebP are
 * sent as they are, TIFF and BMP (which chat endpoints do not take) as a lossless PNG of the
 * decoded pixels.
 */
import sharp from 'sharp';
import { imageLabel, readImageBytes } from '../data/load.js';
import type { Sample } from '../data/sample.js';
import { decodeImage, imageMediaType, type DecodeOptions } from '../io/image.js';

/** `data:<type>;base64,<bytes>` for a sample's image. */
export async function imageDataUrl(sample: Sample, decode: DecodeOptions = {}): Promise<string> {
  const bytes = await readImageBytes(sample);
  const { image, format } = await decodeImage(bytes, imageLabel(sample), decode);
  let type = imageMediaType(format);
  let sent = bytes;
  if (format === 'tiff' || format === 'bmp') {
    sent = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
    type = imageMediaType('png');
  }
  return `data:${type};base64,${Buffer.from(sent.buffer, sent.byteOffset, sent.byteLength).toString('base64')}`;
}
