/**
 * Hugging Face parquet exports of the paper's data sets (`changdae/llavabench-shift-synthetic-v1`,
 * `…-natural-v1`): one split per scenario, columns `image` (struct {bytes, path}), `question`,
 * `reference_answer`, optionally `question_id`/`id`, `category`, `context`.
 *
 * Read with hyparquet and `utf8: false`: otherwise un-annotated BYTE_ARRAY columns (the image
 * bytes) are decoded as UTF-8 text and corrupted. String columns annotated as UTF8 are still
 * decoded; un-annotated ones are decoded here.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputError } from '../errors.js';
import { readInputFile } from '../io/read-input.js';
import { withOptional } from './dataset-dir.js';
import type { Sample } from './sample.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function asText(v: unknown, where: string, field: string, optional: boolean): string | undefined {
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw new InputError(`${where}: column "${field}" is empty`);
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) {
    try {
      return decoder.decode(v);
    } catch {
      throw new InputError(`${where}: column "${field}" is not valid UTF-8 text`);
    }
  }
  throw new InputError(`${where}: column "${field}" must be text, found ${typeof v}`);
}

/** The parquet files of a split: `<split>.parquet` or `<split>-NNNNN-of-NNNNN.parquet`, searched recursively. */
export function listParquetFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listParquetFiles(p));
    else if (name.endsWith('.parquet')) out.push(p);
  }
  return out;
}

/** The split a parquet file belongs to, from its name (`train-00000-of-00001.parquet` → `train`). */
export function parquetSplitName(file: string): string {
  return basename(file, '.parquet').replace(/-\d{5}-of-\d{5}$/, '');
}

/** Parquet files under `dir` for `split` (all files when there is only one split). */
export function selectSplitFiles(dir: string, split?: string): string[] {
  const files = listParquetFiles(dir);
  const splits = [...new Set(files.map(parquetSplitName))].sort();
  if (split === undefined) {
    if (splits.length > 1) throw new InputError(`${dir}: holds ${splits.length} splits (${splits.slice(0, 8).join(', ')}${splits.length > 8 ? ', …' : ''}); choose one with --split`);
    return files;
  }
  const chosen = files.filter((f) => parquetSplitName(f) === split);
  if (chosen.length === 0) throw new InputError(`${dir}: no parquet file for split "${split}" (found: ${splits.join(', ') || 'none'})`);
  return chosen;
}

/**
 * Read samples from one or more parquet files (concatenated in order). Ids come from a
 * `question_id` or `id` column, else the row index across the files (0, 1, …), which matches
 * `question_id` in the authors' answer files.
 */
export async function loadParquet(files: string | readonly string[]): Promise<Sample[]> {
  const list = typeof files === 'string' ? [files] : files;
  const samples: Sample[] = [];
  let rowBase = 0;
  for (const file of list) {
    if (!existsSync(file)) throw new InputError(`${file}: file not found`);
    let rows: Record<string, unknown>[];
    try {
      // Whole file in memory: with hyparquet's lazy file reads, a corrupt column's rejection can fire
      // before the library attaches its handler and escape as an unhandledRejection (fuzz-readers test).
      const bytes = readInputFile(file);
      const buf = new Uint8Array(bytes).buffer;
      const metadata = await parquetMetadataAsync(buf);
      rows = (await parquetReadObjects({ file: buf, metadata, compressors, utf8: false })) as Record<string, unknown>[];
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`${file}: not a readable parquet file (${(e as Error).message})`);
    }
    const cols = rows.length > 0 ? Object.keys(rows[0]) : [];
    for (const need of ['image', 'question']) {
      if (rows.length > 0 && !cols.includes(need)) throw new InputError(`${file}: missing column "${need}" (columns: ${cols.join(', ')})`);
    }
    rows.forEach((r, i) => {
      const where = `${file}: row ${i}`;
      const idRaw = r.question_id ?? r.id;
      const id = idRaw === undefined || idRaw === null ? String(rowBase + i) : asText(idRaw, where, 'question_id', false)!;
      const img = r.image as { bytes?: unknown; path?: unknown } | Uint8Array | null;
      let bytes: unknown = img instanceof Uint8Array ? img : img?.bytes;
      if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new InputError(`${where}: column "image" has no bytes`);
      bytes = new Uint8Array(bytes as Uint8Array); // own the memory, detached from the page buffer
      const path = img instanceof Uint8Array ? undefined : asText(img?.path, where, 'image.path', true);
      if (path !== undefined && ['', '.', '..'].includes(basename(path))) {
        throw new InputError(`${where}: image.path ${JSON.stringify(path)} has no file name (expected e.g. "001.jpg")`);
      }
      samples.push(
        withOptional(
          { id, image: { kind: 'bytes', bytes: bytes as Uint8Array, ...(path ? { name: basename(path) } : {}) }, question: asText(r.question, where, 'question', false)! },
          {
            referenceAnswer: asText(r.reference_answer, where, 'reference_answer', true),
            category: asText(r.category, where, 'category', true),
            context: asText(r.context, where, 'context', true),
          },
        ),
      );
    });
    rowBase += rows.length;
  }
  return samples;
}
