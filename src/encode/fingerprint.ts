/**
 * Cheap, stable fingerprints of weight files, for encoder versions and cache keys: SHA-256
 * over the file size and its first and last 1 MiB. Hashing a 1.1 GB checkpoint whole on
 * every run would cost seconds; two different exports of a model differ in size or in their
 * header (safetensors, ONNX) or tail, which this sees.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';

const EDGE = 1 << 20;

/** 12 hex digits identifying `path`'s content (size + first and last MiB). */
export function fileFingerprint(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    const h = createHash('sha256').update(`size:${size}\n`);
    const read = (pos: number, len: number) => {
      const buf = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const n = readSync(fd, buf, got, len - got, pos + got);
        if (n === 0) break;
        got += n;
      }
      h.update(buf.subarray(0, got));
    };
    read(0, Math.min(EDGE, size));
    if (size > EDGE) read(Math.max(EDGE, size - EDGE), Math.min(EDGE, size - EDGE));
    return h.digest('hex').slice(0, 12);
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 hex of bytes or a string (content keys of the embedding cache). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
