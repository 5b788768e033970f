/**
 * Reading a user-given file whole, with the error a user can act on.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

/** A whole input file; a missing, unreadable or directory path is an InputError naming it. */
export function readInputFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path}: file not found`);
    if (code === 'EISDIR') throw new InputError(`${path}: is a directory, expected a file`);
    throw new InputError(`${path}: cannot read (${code ?? (e as Error).message})`);
  }
}
