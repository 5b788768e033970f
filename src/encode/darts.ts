/**
 * Reader for a darts-clone double-array trie (the format SentencePiece stores its
 * normalisation rules in): an array of 32-bit little-endian units. A unit holds
 *   bit 31 (with bits 0..7) the label — a leaf unit has bit 31 set, so its label never matches;
 *   bits 0..30 the value, when the unit is a leaf;
 *   bit 8 "has a leaf child"; bits 10..31 the offset to the children, shifted left by 8 more
 *   bits when bit 9 is set.
 * From node p, the child for byte c is at p ^ offset(unit[p]) ^ c, and it is that child when
 * its label equals c; a node with a leaf child keeps the key's value in the unit at
 * p ^ offset(unit[p]).
 */
export class DoubleArray {
  private readonly units: Uint32Array;

  /** `units`: the trie's units (native little-endian order, as a Uint32Array view or copy). */
  constructor(units: Uint32Array) {
    if (units.length === 0) throw new RangeError('darts: empty double array');
    this.units = units;
  }

  /** Parse `byteLength` bytes at `offset` of `bytes` as little-endian units. */
  static fromBytes(bytes: Uint8Array, offset: number, byteLength: number): DoubleArray {
    if (byteLength % 4 !== 0 || offset + byteLength > bytes.length) throw new RangeError(`darts: ${byteLength} bytes at ${offset} is not a whole array of 4-byte units inside ${bytes.length} bytes`);
    const units = new Uint32Array(byteLength / 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, byteLength);
    for (let i = 0; i < units.length; i++) units[i] = view.getUint32(4 * i, true);
    return new DoubleArray(units);
  }

  get size(): number {
    return this.units.length;
  }

  /**
   * The longest key that is a prefix of `key[start..end)`: its length in bytes and its value,
   * or length 0 when no key matches (darts-clone's commonPrefixSearch, keeping the last hit).
   */
  longestPrefix(key: Uint8Array, start: number, end: number): { length: number; value: number } {
    const u = this.units;
    let unit = u[0];
    let pos = offset(unit);
    let length = 0;
    let value = 0;
    for (let i = start; i < end; i++) {
      const c = key[i];
      pos ^= c;
      if (pos >= u.length) break;
      unit = u[pos];
      if ((unit & 0x800000ff) >>> 0 !== c) break;
      pos ^= offset(unit);
      if ((unit >>> 8) & 1) {
        if (pos >= u.length) break;
        length = i + 1 - start;
        value = u[pos] & 0x7fffffff;
      }
    }
    return { length, value };
  }
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}
