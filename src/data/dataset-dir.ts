/**
 * The canonical *dataset directory* (see sample.ts): `samples.jsonl` (one sample per line,
 * snake_case fields), the image files it points to (paths relative to the directory), and
 * `manifest.json` recording how the set was made. `shift --out` writes these; `infer`, `judge`
 * and `embed --dataset` read them.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { Sample } from './sample.js';
import { imageExtension } from '../io/image-format.js';
import { ImageRoots, type ImageRootOptions } from './image-root.js';

export const SAMPLES_FILE = 'samples.jsonl';
export const MANIFEST_FILE = 'manifest.json';

/**
 * What `manifest.json` holds. `name` is the scenario name (e.g. `llava_bench_coco_frost_3`);
 * everything else (source, shifts and their parameters, seed, tool version) is free-form but
 * should be enough to regenerate the set.
 */
export interface DatasetManifest {
  readonly name: string;
  readonly [key: string]: unknown;
}

/** True when `dir` is a directory holding a `samples.jsonl`. */
export function isDatasetDir(dir: string): boolean {
  return existsSync(join(dir, SAMPLES_FILE)) && statSync(dir).isDirectory();
}

/** Parse a JSONL file into objects, reporting `file:line` on malformed lines. Blank lines are skipped. */
export function readJsonlObjects(file: string): { line: number; value: Record<string, unknown> }[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const out: { line: number; value: Record<string, unknown> }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new InputError(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new InputError(`${file}:${i + 1}: expected a JSON object, found ${Array.isArray(v) ? 'an array' : typeof v}`);
    }
    out.push({ line: i + 1, value: v as Record<string, unknown> });
  }
  return out;
}

/** A required string field (numbers are accepted for ids and converted). */
export function stringField(
  obj: Record<string, unknown>,
  key: string,
  where: string,
  opts: { optional?: boolean; allowNumber?: boolean; nonEmpty?: boolean } = {},
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (opts.optional) return undefined;
    throw new InputError(`${where}: missing field "${key}"`);
  }
  if (typeof v === 'string') {
    if (opts.nonEmpty && v.trim() === '') throw new InputError(`${where}: field "${key}" is empty`);
    return v;
  }
  if (opts.allowNumber && typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new InputError(`${where}: field "${key}" must be a ${opts.allowNumber ? 'string or number' : 'string'}, found ${JSON.stringify(v).slice(0, 60)}`);
}

/**
 * Read a dataset directory. Image paths become absolute `file` references; every image must
 * exist, resolve inside `dir` (or `roots.images`, see image-root.ts) and every id must be unique.
 */
export function readDatasetDir(dir: string, roots: ImageRootOptions = {}): Sample[] {
  const file = join(dir, SAMPLES_FILE);
  const contain = new ImageRoots(dir, roots);
  if (!existsSync(file)) throw new InputError(`${dir}: not a dataset directory (no ${SAMPLES_FILE})`);
  const seen = new Map<string, number>();
  const samples: Sample[] = [];
  for (const { line, value } of readJsonlObjects(file)) {
    const where = `${file}:${line}`;
    const id = stringField(value, 'id', where, { allowNumber: true, nonEmpty: true })!;
    const prev = seen.get(id);
    if (prev !== undefined) throw new InputError(`${where}: duplicate id "${id}" (first on line ${prev})`);
    seen.set(id, line);
    const imageRel = stringField(value, 'image', where)!;
    const imagePath = resolve(dir, imageRel);
    if (!existsSync(imagePath)) throw new InputError(`${where}: image "${imageRel}" not found (looked for ${imagePath})`);
    contain.check(imagePath, where, imageRel);
    const question = stringField(value, 'question', where)!;
    const referenceAnswer = stringField(value, 'reference_answer', where, { optional: true });
    const category = stringField(value, 'category', where, { optional: true });
    const context = stringField(value, 'context', where, { optional: true });
    samples.push(withOptional({ id, image: { kind: 'file', path: imagePath }, question }, { referenceAnswer, category, context }));
  }
  return samples;
}

/** Read `manifest.json` of a dataset directory (undefined when absent). */
export function readDatasetManifest(dir: string): DatasetManifest | undefined {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof (v as { name?: unknown }).name !== 'string') {
    throw new InputError(`${file}: expected an object with a string "name"`);
  }
  return v as DatasetManifest;
}

/**
 * Write a dataset directory: `samples.jsonl`, `manifest.json`, and the images. Images already
 * inside `dir` are referenced in place; other files are copied to `images/<basename>`; in-memory
 * bytes are written to `images/<name>` (or `images/<id><ext>` guessed from the magic bytes).
 * Samples that share an image share one file. Output is byte-for-byte deterministic.
 */
export function writeDatasetDir(dir: string, samples: readonly Sample[], manifest: DatasetManifest): void {
  mkdirSync(join(dir, 'images'), { recursive: true });
  const absDir = resolve(dir);
  const written = new Map<string, Uint8Array | string>(); // relative name → bytes or source path
  const ids = new Set<string>();
  const lines: string[] = [];
  for (const s of samples) {
    if (ids.has(s.id)) throw new InputError(`writeDatasetDir: duplicate sample id "${s.id}"`);
    ids.add(s.id);
    let rel: string;
    if (s.image.kind === 'file') {
      const src = resolve(s.image.path);
      if (src.startsWith(absDir + sep)) {
        rel = relative(absDir, src).split(sep).join('/');
      } else {
        rel = uniqueName(written, `images/${basename(src)}`, src, s.id);
        if (!written.has(rel)) {
          copyFileSync(src, join(absDir, rel));
          written.set(rel, src);
        }
      }
    } else {
      const name = s.image.name ? basename(s.image.name) : `${safeFileName(s.id)}${imageExtension(s.image.bytes)}`;
      rel = uniqueName(written, `images/${name}`, s.image.bytes, s.id);
      if (!written.has(rel)) {
        writeFileSync(join(absDir, rel), s.image.bytes);
        written.set(rel, s.image.bytes);
      }
    }
    lines.push(JSON.stringify(sampleToRecord(s, rel)));
  }
  // samples.jsonl last and atomically: it marks a dataset directory, so a write cut short
  // (disk full, kill) leaves no half or empty set for infer to trust.
  writeFileAtomic(join(absDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileAtomic(join(absDir, SAMPLES_FILE), lines.length ? `${lines.join('\n')}\n` : '');
}

/** The snake_case on-disk record of a sample, with `image` given relative to its directory. */
export function sampleToRecord(s: Sample, imageRel: string): Record<string, string> {
  const rec: Record<string, string> = { id: s.id, image: imageRel, question: s.question };
  if (s.referenceAnswer !== undefined) rec.reference_answer = s.referenceAnswer;
  if (s.category !== undefined) rec.category = s.category;
  if (s.context !== undefined) rec.context = s.context;
  return rec;
}

function safeFileName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

function sameContent(a: Uint8Array | string, b: Uint8Array | string): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** `want` if free or already holding the same content, else `want` with `_<id>` before the extension. */
function uniqueName(written: Map<string, Uint8Array | string>, want: string, content: Uint8Array | string, id: string): string {
  const prev = written.get(want);
  if (prev === undefined || sameContent(prev, content)) return want;
  const ext = extname(want);
  const alt = `${want.slice(0, want.length - ext.length)}_${safeFileName(id)}${ext}`;
  const prevAlt = written.get(alt);
  if (prevAlt !== undefined && !sameContent(prevAlt, content)) {
    throw new InputError(`writeDatasetDir: two different images for "${alt}"`);
  }
  return alt;
}

/** Build a Sample, leaving out optional fields that are undefined (the type is readonly). */
export function withOptional(
  base: { id: string; image: Sample['image']; question: string },
  opt: { referenceAnswer?: string; category?: string; context?: string },
): Sample {
  const s: { -readonly [K in keyof Sample]: Sample[K] } = { ...base };
  if (opt.referenceAnswer !== undefined) s.referenceAnswer = opt.referenceAnswer;
  if (opt.category !== undefined) s.category = opt.category;
  if (opt.context !== undefined) s.context = opt.context;
  return s;
}

