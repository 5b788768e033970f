/**
 * Embedding sets (DESIGN.md §5): safetensors with float32 tensors `x_v`, `x_t`, `y_hat`, `y`,
 * each [n, d], and `__metadata__` recording the scenario, encoders and sample ids; `.npz`
 * archives with the same array names are read too. The set's name is the file name without
 * its extension. Everything is validated: presence, 2-D shapes, equal row counts, matching
 * dimensions, n ≥ 2 and finite values — each failure names the file and the tensor.
 */
import { basename, extname } from 'node:path';
import { InputError } from '../errors.js';
import { firstNonFinite, type Matrix } from '../core/matrix.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { readNpz } from './npy.js';

export const EMBEDDING_SET_FORMAT = 'mllmshift.embedding-set/1';
export const EMBEDDING_TENSORS = ['x_v', 'x_t', 'y_hat', 'y'] as const;
export type EmbeddingTensorName = (typeof EMBEDDING_TENSORS)[number];

export interface EmbeddingSet {
  /** The scenario name: the file name without its extension. */
  readonly name: string;
  readonly path: string;
  /** z_v: image embeddings. */
  readonly xv: Matrix;
  /** z_t: question embeddings. */
  readonly xt: Matrix;
  /** z_ŷ: model-response embeddings. */
  readonly yHat: Matrix;
  /** z_y: reference-response embeddings. */
  readonly y: Matrix;
  readonly metadata: Readonly<Record<string, string>>;
  /** Sample ids from the metadata, when recorded. */
  readonly sampleIds?: readonly string[];
}

/** The set's name: file name without its extension (`a/b/llava_bench_coco.safetensors` → `llava_bench_coco`). */
export function embeddingSetName(path: string): string {
  return basename(path, extname(path));
}

function validate(path: string, get: (name: EmbeddingTensorName) => Matrix | undefined, metadata: Record<string, string>): EmbeddingSet {
  const t = {} as Record<EmbeddingTensorName, Matrix>;
  for (const name of EMBEDDING_TENSORS) {
    const m = get(name);
    if (!m) throw new InputError(`${path}: missing tensor "${name}" (an embedding set needs x_v, x_t, y_hat, y)`);
    t[name] = m;
  }
  const n = t.x_v.rows;
  for (const name of EMBEDDING_TENSORS) {
    const m = t[name];
    if (m.rows !== n) throw new InputError(`${path}: tensor "${name}" has ${m.rows} rows but "x_v" has ${n}; every tensor must have one row per sample`);
    if (m.cols < 1) throw new InputError(`${path}: tensor "${name}" has no columns`);
    const bad = firstNonFinite(m.data);
    if (bad >= 0) {
      throw new InputError(`${path}: tensor "${name}" has a non-finite value (${m.data[bad]}) at row ${Math.floor(bad / m.cols)}, column ${bad % m.cols}`);
    }
  }
  if (n < 2) throw new InputError(`${path}: embedding set has ${n} sample${n === 1 ? '' : 's'}, at least 2 are needed`);
  if (t.x_t.cols !== t.x_v.cols) throw new InputError(`${path}: "x_t" has dimension ${t.x_t.cols} but "x_v" has ${t.x_v.cols}; x = (z_v + z_t)/2 needs equal dimensions`);
  if (t.y.cols !== t.y_hat.cols) throw new InputError(`${path}: "y" has dimension ${t.y.cols} but "y_hat" has ${t.y_hat.cols}`);
  let sampleIds: string[] | undefined;
  if (metadata.sample_ids !== undefined) {
    try {
      const ids = JSON.parse(metadata.sample_ids) as unknown;
      if (Array.isArray(ids) && ids.length === n) sampleIds = ids.map(String);
    } catch {
      throw new InputError(`${path}: metadata "sample_ids" is not a JSON array`);
    }
  }
  return { name: embeddingSetName(path), path, xv: t.x_v, xt: t.x_t, yHat: t.y_hat, y: t.y, metadata, sampleIds };
}

/** Read an embedding set from `.safetensors` or `.npz`. */
export function readEmbeddingSet(path: string): EmbeddingSet {
  const ext = extname(path).toLowerCase();
  if (ext === '.npz') {
    const arrays = readNpz(path);
    return validate(path, (n) => arrays.get(n), {});
  }
  if (ext !== '.safetensors' && ext !== '.st') {
    throw new InputError(`${path}: unknown embedding-set type "${ext || '(none)'}", expected .safetensors or .npz`);
  }
  const { header, tensors } = readSafetensors(path);
  const get = (name: EmbeddingTensorName): Matrix | undefined => {
    const v = tensors.get(name);
    if (!v) return undefined;
    if (v.shape.length !== 2) throw new InputError(`${path}: tensor "${name}" must be 2-D [n, d], found shape [${v.shape.join(', ')}]`);
    return { rows: v.shape[0], cols: v.shape[1], data: v.data };
  };
  return validate(path, get, { ...header.metadata });
}

export interface EmbeddingSetToWrite {
  readonly xv: Matrix;
  readonly xt: Matrix;
  readonly yHat: Matrix;
  readonly y: Matrix;
  readonly scenario: string;
  readonly sampleIds: readonly string[];
  /** Encoder ids and versions, recorded as JSON. */
  readonly encoders: Readonly<Record<string, unknown>>;
  readonly extraMetadata?: Readonly<Record<string, string>>;
}

/** Write an embedding set as float32 safetensors (atomically). */
export function writeEmbeddingSet(path: string, set: EmbeddingSetToWrite): void {
  const f32 = (m: Matrix) => ({ shape: [m.rows, m.cols], data: m.data instanceof Float32Array ? m.data : Float32Array.from(m.data) });
  writeSafetensors(
    path,
    { x_v: f32(set.xv), x_t: f32(set.xt), y_hat: f32(set.yHat), y: f32(set.y) },
    {
      format: EMBEDDING_SET_FORMAT,
      scenario: set.scenario,
      encoders: JSON.stringify(set.encoders),
      sample_ids: JSON.stringify(set.sampleIds),
      ...(set.extraMetadata ?? {}),
    },
  );
}
