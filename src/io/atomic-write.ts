/**
 * Atomic file replacement: write a temporary file next to the target, fsync it, rename it over
 * the target. A process killed at any moment leaves either the old file or the new one, never
 * half of one; the temporary file is removed when writing fails. Missing parent folders are
 * created, so every command's output path may name a folder that does not exist yet.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError, RunError } from '../errors.js';

/** Creates the folder that will hold `path` (and its parents) when missing. */
export function ensureParentDir(path: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code ?? String(e);
    throw new InputError(`cannot write ${path}: cannot create the folder ${dir} (${why})`);
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  ensureParentDir(path);
  const tmp = `${path}.tmp-${process.pid}`;
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(tmp, 'w');
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fileWriteError(path, e);
  }
}

/**
 * A failed write as one line naming the file (Node's own message, e.g. "ENOSPC: no space left
 * on device, write", names none): a full or failing disk is a RunError (exit 1), a path the user
 * can fix (a folder or read-only place in the way) an InputError (exit 2).
 */
export function fileWriteError(path: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return e;
  const detail = `${code}: ${(e as Error).message.replace(/^[A-Z]+: /, '').replace(/,.*$/, '')}`;
  if (code === 'ENOSPC' || code === 'EIO' || code === 'EDQUOT') return new RunError(`cannot write ${path} (${detail}); nothing was replaced`);
  return new InputError(`cannot write ${path} (${detail})`);
}
