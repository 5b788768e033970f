/**
 * The one GIF detail libvips and PIL disagree on: libvips makes transparent pixels (0, 0, 0, 0),
 * while PIL's first frame keeps the palette colour of the transparency index (inside the frame
 * and in the screen area the frame does not cover). This reads that colour from the header
 * blocks up to the first image (no pixel data is decoded); every offset is bounds-checked.
 */

/** RGB of the first frame's transparency index, or undefined when it has none. */
export function gifTransparentColour(b: Uint8Array): [number, number, number] | undefined {
  if (b.length < 13) return undefined;
  let p = 13;
  let table: Uint8Array | undefined;
  if (b[10] & 0x80) {
    const n = 3 << ((b[10] & 7) + 1);
    table = b.subarray(p, p + n);
    p += n;
  }
  let transparent: number | undefined;
  while (p < b.length) {
    const block = b[p];
    if (block === 0x21) {
      const label = b[p + 1];
      if (label === 0xf9 && b[p + 2] === 4 && p + 6 < b.length && b[p + 3] & 1) transparent = b[p + 6];
      p += 2;
      while (p < b.length && b[p] !== 0) p += b[p] + 1; // data sub-blocks
      p++;
    } else if (block === 0x2c) {
      const flags = b[p + 9];
      if (flags & 0x80) table = b.subarray(p + 10, p + 10 + (3 << ((flags & 7) + 1)));
      break;
    } else {
      return undefined;
    }
  }
  if (transparent === undefined || !table || 3 * transparent + 2 >= table.length) return undefined;
  return [table[3 * transparent], table[3 * transparent + 1], table[3 * transparent + 2]];
}
