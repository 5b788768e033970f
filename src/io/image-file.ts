/**
 * Reading an image file safely: only a regular file (never a device such as /dev/zero, a FIFO
 * or a directory), at most `maxBytes` bytes, and never more than its size at open time, so a
 * hostile path cannot make a command hang or grow without bound.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputError } from '../errors.js';

/** Largest image file read (512 MiB): above an uncompressed 24-bit BMP at the default pixel cap (268 MB). */
export const MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024;

/**
 * The bytes of the regular file at `path`. `label` starts every error (e.g. `sample 7: a.jpg`).
 * O_NONBLOCK keeps opening a FIFO from blocking; the file type is checked on the open handle.
 */
export async function readImageFile(path: string, label: string, maxBytes = MAX_IMAGE_FILE_BYTES): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${label}: cannot read image (${code === 'ENOENT' ? 'file not found' : code ?? (e as Error).message})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InputError(`${label}: not a regular file (${fileKind(st)}); an image must be a file`);
    if (st.size === 0) throw new InputError(`${label}: image is empty (0 bytes)`);
    if (st.size > maxBytes) throw new InputError(`${label}: image file is ${st.size} bytes, over the ${maxBytes}-byte limit`);
    const buf = new Uint8Array(st.size);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break; // shrank while reading: what is there is what we have
      got += bytesRead;
    }
    return got === buf.length ? buf : buf.subarray(0, got);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${label}: cannot read image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    await fh.close();
  }
}

function fileKind(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}
