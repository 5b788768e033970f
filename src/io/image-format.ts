/**
 * The supported image formats, told from their leading bytes, and the limits on image files.
 * No sharp here: commands that only read data sets load this without the native module.
 */
import { isBmp } from './bmp.js';

/** The supported formats, in the order the docs list them. */
export const IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'bmp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

const MEDIA_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
};
const EXTENSIONS: Record<ImageFormat, string> = { jpeg: '.jpg', png: '.png', webp: '.webp', gif: '.gif', tiff: '.tif', bmp: '.bmp' };

/**
 * The default cap on decoded pixels per image: PIL's own decompression-bomb threshold
 * (`Image.MAX_IMAGE_PIXELS` = 89,478,485, about 9459²), so every image the authors' pipeline
 * opens without a warning is accepted. One such image is 268 MB as RGB bytes.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 89_478_485;

/** The format from the leading bytes (names are not trusted); undefined if not one of IMAGE_FORMATS. */
export function sniffImageFormat(b: Uint8Array): ImageFormat | undefined {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46
    && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'webp';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0)
    || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))) return 'tiff';
  if (isBmp(b)) return 'bmp';
  return undefined;
}

export function imageMediaType(f: ImageFormat): string {
  return MEDIA_TYPES[f];
}

/** File extension (with the dot) for image bytes; `.bin` when the format is unknown. */
export function imageExtension(bytes: Uint8Array): string {
  const f = sniffImageFormat(bytes);
  return f ? EXTENSIONS[f] : '.bin';
}

/** A human list of the supported formats, for messages. */
export const FORMAT_LIST = 'JPEG, PNG, WebP, GIF, TIFF or BMP';

