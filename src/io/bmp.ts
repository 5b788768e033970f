/**
 * A small, bounded BMP decoder (libvips, hence sharp, reads no BMP). It gives what PIL's
 * `Image.open(p).convert("RGB")` gives: palette lookup for 1/4/8-bit images, bit fields
 * scaled as `v * 255 / max` (integer division, as PIL's BGR;15/BGR;16 unpackers), alpha
 * dropped. Headers: OS/2 core (12 bytes) and Windows info (40 bytes and the v2–v5 extensions);
 * bottom-up and top-down rows; RLE8/RLE4 read as PIL's BmpRleDecoder reads them (its delta
 * escape skips two bytes before the offsets; absolute runs advance by their count). JPEG/PNG-in-BMP
 * and 2/64-bit files are refused.
 * Every offset is checked against the buffer before it is read.
 */
import { InputError } from '../errors.js';

export interface BmpHeader {
  readonly width: number;
  readonly height: number;
}

interface Layout extends BmpHeader {
  readonly bits: number;
  readonly topDown: boolean;
  readonly compression: number;
  readonly masks?: readonly [number, number, number];
  readonly palette?: Uint8Array; // RGB triples
  readonly pixelOffset: number;
}

export function isBmp(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d;
}

function parse(b: Uint8Array, label: string): Layout {
  const bad = (why: string): InputError => new InputError(`${label}: cannot decode image (BMP: ${why})`);
  if (b.length < 26) throw bad('file is truncated');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const pixelOffset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  let width: number;
  let height: number;
  let bits: number;
  let compression = 0;
  let colors = 0;
  let paletteEntry = 4;
  if (headerSize === 12) {
    width = v.getUint16(18, true);
    height = v.getInt16(20, true);
    bits = v.getUint16(24, true);
    paletteEntry = 3;
  } else if (headerSize >= 40 && headerSize <= 124) {
    if (b.length < 14 + 40) throw bad('file is truncated');
    width = v.getInt32(18, true);
    height = v.getInt32(22, true);
    bits = v.getUint16(28, true);
    compression = v.getUint32(30, true);
    colors = v.getUint32(46, true);
  } else {
    throw bad(`unsupported header size ${headerSize}`);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  if (width < 1 || height < 1) throw bad(`bad size ${width}×${height}`);
  let masks: [number, number, number] | undefined;
  let next = 14 + headerSize;
  if (compression === 3 || compression === 6) {
    // BI_BITFIELDS / BI_ALPHABITFIELDS: masks in the v2+ header, else right after the 40-byte one.
    const at = headerSize >= 52 ? 14 + 40 : next;
    if (b.length < at + 12) throw bad('file is truncated');
    masks = [v.getUint32(at, true), v.getUint32(at + 4, true), v.getUint32(at + 8, true)];
    if (headerSize < 52) next += compression === 6 ? 16 : 12;
    if (bits !== 16 && bits !== 32) throw bad(`bit fields with ${bits} bits per pixel`);
  } else if ((compression === 1 && bits !== 8) || (compression === 2 && bits !== 4)) {
    throw bad(`RLE${compression === 1 ? 8 : 4} with ${bits} bits per pixel`);
  } else if (compression !== 0 && compression !== 1 && compression !== 2) {
    throw bad(`compression ${({ 4: 'JPEG', 5: 'PNG' } as Record<number, string>)[compression] ?? compression} is not supported`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bits)) throw bad(`${bits} bits per pixel is not supported`);
  let palette: Uint8Array | undefined;
  if (bits <= 8) {
    const n = colors > 0 && colors <= 1 << bits ? colors : 1 << bits;
    if (b.length < next + n * paletteEntry) throw bad('palette is truncated');
    // Indices past the palette read PIL's default palette entries: the grey ramp (i, i, i).
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) palette.fill(i, 3 * i, 3 * i + 3);
    for (let i = 0; i < n; i++) {
      const o = next + i * paletteEntry;
      palette[3 * i] = b[o + 2];
      palette[3 * i + 1] = b[o + 1];
      palette[3 * i + 2] = b[o];
    }
  }
  if (bits === 16 && !masks) masks = [0x7c00, 0x03e0, 0x001f];
  return { width, height, bits, topDown, compression, ...(masks ? { masks } : {}), ...(palette ? { palette } : {}), pixelOffset };
}

/** Width and height from the header (checked before any pixel is allocated). */
export function bmpHeader(b: Uint8Array, label: string): BmpHeader {
  const { width, height } = parse(b, label);
  return { width, height };
}

/** Decode to RGB bytes (width × height × 3). The caller has checked the pixel count. */
export function decodeBmp(b: Uint8Array, label: string): { width: number; height: number; data: Uint8Array } {
  const L = parse(b, label);
  const { width, height, bits } = L;
  if (L.compression === 1 || L.compression === 2) return decodeRle(b, L, label);
  const stride = Math.floor((width * bits + 31) / 32) * 4;
  if (L.pixelOffset + stride * height > b.length) {
    throw new InputError(`${label}: cannot decode image (BMP: pixel data is truncated: ${b.length} bytes, need ${L.pixelOffset + stride * height})`);
  }
  const out = new Uint8Array(width * height * 3);
  const fields = L.masks?.map(maskField);
  for (let y = 0; y < height; y++) {
    const row = L.pixelOffset + (L.topDown ? y : height - 1 - y) * stride;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      if (L.palette) {
        const bitPos = x * bits;
        const byte = b[row + (bitPos >> 3)];
        const i = (byte >> (8 - bits - (bitPos & 7))) & ((1 << bits) - 1);
        out[o] = L.palette[3 * i];
        out[o + 1] = L.palette[3 * i + 1];
        out[o + 2] = L.palette[3 * i + 2];
      } else if (bits === 24) {
        const p = row + 3 * x;
        out[o] = b[p + 2];
        out[o + 1] = b[p + 1];
        out[o + 2] = b[p];
      } else {
        const p = row + (bits >> 3) * x;
        const px = bits === 16 ? b[p] | (b[p + 1] << 8) : (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
        if (fields) {
          for (let c = 0; c < 3; c++) out[o + c] = fieldValue(px, fields[c]);
        } else {
          out[o] = b[p + 2]; // 32-bit BI_RGB: BGRX
          out[o + 1] = b[p + 1];
          out[o + 2] = b[p];
        }
      }
    }
  }
  return { width, height, data: out };
}

/** RLE8/RLE4 palette indices in file order, as PIL's BmpRleDecoder produces them, then the palette lookup. */
function decodeRle(b: Uint8Array, L: Layout, label: string): { width: number; height: number; data: Uint8Array } {
  const { width: w, height: h } = L;
  const rle4 = L.compression === 2;
  const idx = new Uint8Array(w * h);
  let n = 0; // indices produced (writes past w·h are dropped)
  const put = (v: number): void => {
    if (n < idx.length) idx[n] = v;
    n++;
  };
  let x = 0;
  let p = L.pixelOffset;
  while (n < w * h && p + 1 < b.length) {
    const count = b[p];
    const byte = b[p + 1];
    p += 2;
    if (count > 0) {
      const run = Math.max(0, Math.min(count, w - x));
      for (let i = 0; i < run; i++) put(rle4 ? (i % 2 === 0 ? byte >> 4 : byte & 15) : byte);
      x += run;
    } else if (byte === 0) {
      while (n % w !== 0) put(0);
      x = 0;
    } else if (byte === 1) {
      break;
    } else if (byte === 2) {
      if (p + 4 > b.length) break;
      const [right, up] = [b[p + 2], b[p + 3]];
      p += 4;
      for (let i = 0, k = right + up * w; i < k && n < w * h; i++) put(0);
      x = n % w;
    } else {
      const bytes = rle4 ? byte >> 1 : byte;
      if (p + bytes > b.length) break;
      for (let i = 0; i < bytes; i++) {
        if (rle4) {
          put(b[p + i] >> 4);
          put(b[p + i] & 15);
        } else put(b[p + i]);
      }
      p += bytes;
      x += byte;
      if (p % 2 !== 0) p++;
    }
  }
  if (n < w * h) throw new InputError(`${label}: cannot decode image (BMP: RLE data is truncated: ${n} of ${w * h} pixels)`);
  const out = new Uint8Array(w * h * 3);
  const pal = L.palette!;
  for (let y = 0; y < h; y++) {
    const src = (L.topDown ? y : h - 1 - y) * w;
    for (let x2 = 0; x2 < w; x2++) {
      const i = idx[src + x2];
      out.set(pal.subarray(3 * i, 3 * i + 3), 3 * (y * w + x2));
    }
  }
  return { width: w, height: h, data: out };
}

interface Field {
  readonly shift: number;
  readonly max: number;
}

function maskField(mask: number): Field {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

function fieldValue(px: number, f: Field): number {
  if (f.max === 0) return 0;
  return Math.floor((((px >>> f.shift) & f.max) * 255) / f.max);
}
