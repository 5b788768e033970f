/**
 * Images as base64 data URLs for the chat API's `image_url` parts. The media type is taken
 * from the file's leading bytes, not its name.
 */
import { InputError } from '../errors.js';
import { readImageBytes } from '../data/load.js';
import type { Sample } from '../data/sample.js';

/** Media type from magic bytes: PNG, JPEG, GIF, WebP, BMP; undefined for anything else. */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'image/gif';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46
    && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'image/webp';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'image/bmp';
  return undefined;
}

/** `data:<type>;base64,<bytes>` for a sample's image. */
export async function imageDataUrl(sample: Sample): Promise<string> {
  const bytes = await readImageBytes(sample);
  const type = sniffImageType(bytes);
  if (!type) {
    const where = sample.image.kind === 'file' ? sample.image.path : (sample.image.name ?? 'its in-memory image');
    throw new InputError(`sample ${sample.id}: ${where} is not a PNG, JPEG, GIF, WebP or BMP image`);
  }
  return `data:${type};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}
