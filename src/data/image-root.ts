/**
 * Where a data set's images may live: after symlinks are resolved (realpath), inside the data
 * set's root folder or the `--images` folder. An absolute path, `../` or a symlink leading
 * elsewhere is refused (exit 2) unless the user widens it with `--allow-images-outside`, so a
 * hostile samples file cannot make `infer` upload (or `shift` copy) any file on disk.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { InputError } from '../errors.js';

export interface ImageRootOptions {
  /** A second folder images may be in (`--images DIR`, config `data.images`). */
  readonly images?: string;
  /** Accept image paths anywhere (`--allow-images-outside`). */
  readonly allowImagesOutside?: boolean;
}

export class ImageRoots {
  private readonly roots: string[];

  constructor(
    root: string,
    private readonly opts: ImageRootOptions = {},
  ) {
    this.roots = [root, ...(opts.images ? [opts.images] : [])].map((r) => real(r, r));
  }

  /** Throws unless `path` (an existing file) resolves inside a root; `where` names the sample's line or id. */
  check(path: string, where: string, shown: string): void {
    if (this.opts.allowImagesOutside) return;
    const target = real(path, `${where}: image "${shown}"`);
    if (this.roots.some((r) => inside(r, target))) return;
    throw new InputError(
      `${where}: image "${shown}" resolves to ${target}, outside the data set folder${this.roots.length > 1 ? ' and --images folder' : ''} ` +
        `(${this.roots.join(', ')}); give its folder with --images DIR, or --allow-images-outside`,
    );
  }
}

function real(p: string, label: string): string {
  try {
    return realpathSync(p);
  } catch (e) {
    throw new InputError(`${label}: cannot resolve path (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
