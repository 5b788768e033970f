/**
 * The embedding cache: embeddings keyed by (modality, encoder id, encoder version, content
 * hash), stored as safetensors so that a second `embed` of the same data does no encoder work.
 *
 * Layout: `<dir>/<modality>/<encoder id>/<sha256(version)[:16]>/<segment>.safetensors`. Each
 * segment is written atomically by one run and never modified; it holds one F32 tensor
 * `embeddings` [k, d] and `__metadata__` {format, encoder, version, keys (JSON array of content
 * hashes, one per row)}. Lookups read every segment's header once and then only the rows they
 * need, by offset. Concurrent runs cannot corrupt each other (each writes its own segment); at
 * worst both compute the same rows. A segment that fails to parse is skipped with a warning —
 * a damaged cache costs time, never a wrong answer (the key includes the content hash and the
 * encoder version, and the version is checked against the metadata).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Matrix } from '../core/matrix.js';
import { readSafetensorsHeader, readSafetensorsRows, writeSafetensors, type SafetensorsHeader } from '../io/safetensors.js';
import type { EncoderIdentity } from './encoder.js';
import { sha256Hex } from './fingerprint.js';

export const EMBEDDING_CACHE_FORMAT = 'mllmshift.embedding-cache/1';
const TENSOR = 'embeddings';

export type Modality = 'image' | 'text';

interface Entry {
  readonly header: SafetensorsHeader;
  readonly row: number;
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || '_';
}

/** One (modality, encoder, version) namespace of the cache. */
export class EmbeddingCacheNamespace {
  private index: Map<string, Entry> | undefined;

  constructor(
    readonly dir: string,
    readonly encoder: EncoderIdentity,
    readonly dim: number,
    private readonly warn: (msg: string) => void,
  ) {}

  private load(): Map<string, Entry> {
    if (this.index) return this.index;
    const index = new Map<string, Entry>();
    let files: string[] = [];
    try {
      files = readdirSync(this.dir).filter((f) => f.endsWith('.safetensors')).sort();
    } catch {
      files = [];
    }
    for (const f of files) {
      const path = join(this.dir, f);
      try {
        const header = readSafetensorsHeader(path);
        const m = header.metadata;
        const t = header.tensors.get(TENSOR);
        if (m.format !== EMBEDDING_CACHE_FORMAT || m.encoder !== this.encoder.id || m.version !== this.encoder.version) continue;
        if (!t || t.dtype !== 'F32' || t.shape.length !== 2 || t.shape[1] !== this.dim) throw new Error(`tensor "${TENSOR}" is not F32 [k, ${this.dim}]`);
        const keys = JSON.parse(m.keys ?? 'null') as unknown;
        if (!Array.isArray(keys) || keys.length !== t.shape[0]) throw new Error('metadata "keys" does not list one key per row');
        keys.forEach((k, row) => index.set(String(k), { header, row }));
      } catch (e) {
        this.warn(`embedding cache: skipping unreadable segment ${path} (${(e as Error).message})`);
      }
    }
    this.index = index;
    return index;
  }

  has(key: string): boolean {
    return this.load().has(key);
  }

  /** The cached rows for `keys` (undefined where absent). */
  get(keys: readonly string[]): (Float32Array | undefined)[] {
    const index = this.load();
    return keys.map((k) => {
      const e = index.get(k);
      if (!e) return undefined;
      try {
        return readSafetensorsRows(e.header.path, e.header, TENSOR, e.row, 1);
      } catch (err) {
        this.warn(`embedding cache: cannot read ${e.header.path} (${(err as Error).message})`);
        index.delete(k);
        return undefined;
      }
    });
  }

  /** Write rows as a new segment (no-op for zero rows). */
  put(keys: readonly string[], rows: Matrix<Float32Array>): void {
    if (keys.length !== rows.rows) throw new RangeError(`embedding cache: ${keys.length} keys for ${rows.rows} rows`);
    if (rows.rows === 0) return;
    if (rows.cols !== this.dim) throw new RangeError(`embedding cache: rows have ${rows.cols} columns, expected ${this.dim}`);
    mkdirSync(this.dir, { recursive: true });
    const name = `${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}.safetensors`;
    const path = join(this.dir, name);
    writeSafetensors(path, { [TENSOR]: { shape: [rows.rows, rows.cols], data: rows.data } }, {
      format: EMBEDDING_CACHE_FORMAT,
      encoder: this.encoder.id,
      version: this.encoder.version,
      keys: JSON.stringify(keys),
    });
    const header = readSafetensorsHeader(path);
    const index = this.load();
    keys.forEach((k, row) => index.set(k, { header, row }));
  }
}

export class EmbeddingCache {
  constructor(
    readonly dir: string,
    private readonly warn: (msg: string) => void = (m) => process.stderr.write(`mllmshift: ${m}\n`),
  ) {}

  namespace(modality: Modality, encoder: EncoderIdentity, dim: number): EmbeddingCacheNamespace {
    const dir = join(this.dir, modality, safeName(encoder.id), sha256Hex(encoder.version).slice(0, 16));
    return new EmbeddingCacheNamespace(dir, encoder, dim, this.warn);
  }
}

/** Content key of a text: SHA-256 of its UTF-8 bytes. */
export function textKey(text: string): string {
  return sha256Hex(text);
}

/** Content key of an image: SHA-256 of its encoded bytes (so a cache hit needs no decoding). */
export function imageKey(bytes: Uint8Array): string {
  return sha256Hex(bytes);
}
