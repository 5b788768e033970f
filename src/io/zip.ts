/**
 * A minimal, defensive ZIP reader (PKWARE APPNOTE): enough for PyTorch checkpoints and NumPy
 * .npz archives. Entries are located through the central directory; methods 0 (stored) and
 * 8 (deflate) are supported; ZIP64 sizes/offsets are honoured. Every offset is checked
 * against the file size, so a truncated or hostile archive fails with an InputError.
 */
import { inflateRawSync } from 'node:zlib';
import { InputError } from '../errors.js';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;

  private constructor(private readonly path: string, private readonly buf: Buffer, entries: Map<string, ZipEntry>) {
    this.entries = entries;
  }

  static open(path: string, buf: Buffer): ZipArchive {
    const fail = (what: string): never => {
      throw new InputError(`${path}: not a valid zip archive: ${what}`);
    };
    if (buf.length < 22) fail(`file has ${buf.length} bytes, too short for a zip archive`);
    // End of central directory: signature 0x06054b50 within the last 64 KiB + 22 bytes.
    let eocd = -1;
    for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
      if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
    }
    if (eocd < 0) fail('no end-of-central-directory record (truncated file?)');
    let count = buf.readUInt16LE(eocd + 10);
    let cdSize = buf.readUInt32LE(eocd + 12);
    let cdOffset = buf.readUInt32LE(eocd + 16);
    if (cdOffset === 0xffffffff || count === 0xffff || cdSize === 0xffffffff) {
      // ZIP64 end of central directory locator sits just before the EOCD.
      const loc = eocd - 20;
      if (loc < 0 || buf.readUInt32LE(loc) !== 0x07064b50) fail('ZIP64 locator missing');
      const z64 = Number(buf.readBigUInt64LE(loc + 8));
      if (z64 + 56 > buf.length || buf.readUInt32LE(z64) !== 0x06064b50) fail('ZIP64 end record missing');
      count = Number(buf.readBigUInt64LE(z64 + 32));
      cdSize = Number(buf.readBigUInt64LE(z64 + 40));
      cdOffset = Number(buf.readBigUInt64LE(z64 + 48));
    }
    if (cdOffset + cdSize > buf.length) fail(`central directory at ${cdOffset}+${cdSize} lies beyond the end of the file (${buf.length} bytes)`);
    const entries = new Map<string, ZipEntry>();
    let p = cdOffset;
    for (let k = 0; k < count; k++) {
      if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) fail(`central directory entry ${k} is corrupt`);
      const method = buf.readUInt16LE(p + 10);
      let compressedSize = buf.readUInt32LE(p + 20);
      let size = buf.readUInt32LE(p + 24);
      const nameLen = buf.readUInt16LE(p + 28);
      const extraLen = buf.readUInt16LE(p + 30);
      const commentLen = buf.readUInt16LE(p + 32);
      let localHeaderOffset = buf.readUInt32LE(p + 42);
      if (p + 46 + nameLen + extraLen > buf.length) fail(`central directory entry ${k} runs past the end of the file`);
      const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
      // ZIP64 extended information extra field (id 0x0001): present fields are those set to 0xffffffff.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = buf.readUInt16LE(e);
        const len = buf.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) { size = Number(buf.readBigUInt64LE(q)); q += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = Number(buf.readBigUInt64LE(q)); q += 8; }
          if (localHeaderOffset === 0xffffffff) { localHeaderOffset = Number(buf.readBigUInt64LE(q)); q += 8; }
        }
        e += 4 + len;
      }
      entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return new ZipArchive(path, buf, entries);
  }

  /** The uncompressed bytes of an entry. */
  read(name: string): Buffer {
    const entry = this.entries.get(name);
    if (!entry) throw new InputError(`${this.path}: zip entry "${name}" not found`);
    const buf = this.buf;
    const o = entry.localHeaderOffset;
    if (o + 30 > buf.length || buf.readUInt32LE(o) !== 0x04034b50) {
      throw new InputError(`${this.path}: zip entry "${name}": local header missing at offset ${o}`);
    }
    const start = o + 30 + buf.readUInt16LE(o + 26) + buf.readUInt16LE(o + 28);
    const end = start + entry.compressedSize;
    if (end > buf.length) throw new InputError(`${this.path}: zip entry "${name}" is truncated (ends at ${end}, file has ${buf.length} bytes)`);
    const raw = buf.subarray(start, end);
    let out: Buffer;
    if (entry.method === 0) out = raw;
    else if (entry.method === 8) {
      try {
        out = inflateRawSync(raw);
      } catch {
        throw new InputError(`${this.path}: zip entry "${name}" has corrupt deflate data`);
      }
    } else throw new InputError(`${this.path}: zip entry "${name}" uses unsupported compression method ${entry.method}`);
    if (out.length !== entry.size) throw new InputError(`${this.path}: zip entry "${name}" has ${out.length} bytes, expected ${entry.size}`);
    return out;
  }
}
