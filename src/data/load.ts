/**
 * `loadDataset(pathOrDir)`: one entry point for every supported source, dispatching on what
 * it finds:
 * 1. a dataset directory (`samples.jsonl`, what `shift` writes) or that `samples.jsonl` itself;
 * 2. a LLaVA-Bench style directory (questions JSONL + images + GPT-4 answers [+ context]) or
 *    its questions JSONL;
 * 3. a `.parquet` file, or a directory of them (a Hugging Face export; choose a split with
 *    `split` when there are several).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { InputError } from '../errors.js';
import { isDatasetDir, readDatasetDir, SAMPLES_FILE } from './dataset-dir.js';
import { detectLlavaBench, loadLlavaBench } from './llava-bench.js';
import { listParquetFiles, loadParquet, selectSplitFiles } from './parquet.js';
import type { ImageRef, Sample } from './sample.js';
import type { ImageRootOptions } from './image-root.js';
import { readImageFile } from '../io/image-file.js';

export interface LoadOptions {
  /** Parquet split (scenario name) when a directory holds several. */
  readonly split?: string;
  /**
   * A folder images may be in besides the data set's own (image-root.ts); for a LLaVA-Bench
   * layout also where the images are looked up (default `images/` next to the questions).
   */
  readonly images?: string;
  /** Accept image paths outside the data set and `images` folders. */
  readonly allowImagesOutside?: boolean;
  /** LLaVA-Bench: reference answers JSONL (default: detected by name). */
  readonly answers?: string;
  /** LLaVA-Bench: context JSONL (default: detected by name). */
  readonly context?: string;
}

export async function loadDataset(pathOrDir: string, opts: LoadOptions = {}): Promise<Sample[]> {
  if (!existsSync(pathOrDir)) throw new InputError(`${pathOrDir}: no such file or directory`);
  const samples = await dispatch(pathOrDir, opts);
  if (samples.length === 0) throw new InputError(`${pathOrDir}: the data set has no samples`);
  const seen = new Set<string>();
  for (const s of samples) {
    if (seen.has(s.id)) throw new InputError(`${pathOrDir}: duplicate sample id "${s.id}"`);
    seen.add(s.id);
  }
  return samples;
}

async function dispatch(p: string, opts: LoadOptions): Promise<Sample[]> {
  const roots: ImageRootOptions = { ...(opts.images ? { images: opts.images } : {}), ...(opts.allowImagesOutside ? { allowImagesOutside: true } : {}) };
  const llavaOverrides = {
    ...(opts.images ? { images: opts.images } : {}),
    ...(opts.answers ? { answers: opts.answers } : {}),
    ...(opts.context ? { context: opts.context } : {}),
  };
  if (statSync(p).isDirectory()) {
    if (isDatasetDir(p)) return readDatasetDir(p, roots);
    const llava = detectLlavaBench(p, llavaOverrides);
    if (llava) return loadLlavaBench(llava, roots);
    if (listParquetFiles(p).length > 0) return loadParquet(selectSplitFiles(p, opts.split));
    throw new InputError(`${p}: not a data set (expected ${SAMPLES_FILE}, a LLaVA-Bench questions JSONL, or parquet files)`);
  }
  const ext = extname(p).toLowerCase();
  if (ext === '.parquet') return loadParquet(p);
  if (basename(p) === SAMPLES_FILE) return readDatasetDir(dirname(p), roots);
  if (ext === '.jsonl') {
    const llava = detectLlavaBench(dirname(p), { ...llavaOverrides, questions: p });
    return loadLlavaBench(llava!, roots);
  }
  throw new InputError(`${p}: unsupported data set file (expected a directory, ${SAMPLES_FILE}, a questions .jsonl or a .parquet)`);
}

/** How errors name a sample's image: `sample <id>: <path>` (or its in-memory name). */
export function imageLabel(sample: { readonly id: string; readonly image: ImageRef }): string {
  const ref = sample.image;
  return `sample ${sample.id}: ${ref.kind === 'file' ? ref.path : `embedded image${ref.name ? ` ${ref.name}` : ''}`}`;
}

/** The encoded image bytes of a sample (JPEG/PNG/…), from memory or a regular file read with a size cap. */
export async function readImageBytes(sample: { readonly id: string; readonly image: ImageRef }): Promise<Uint8Array> {
  if (sample.image.kind === 'bytes') return sample.image.bytes;
  return readImageFile(sample.image.path, imageLabel(sample));
}
