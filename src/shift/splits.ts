/**
 * Easy / normal / hard splits of an OOD set (DESIGN.md §3): rank its samples by the cosine
 * distance of their embeddings to the ID set; the nearer half is `easy`, the rest `hard`,
 * `normal` is everything. "Distance to the ID set" is 1 − cos(x, c) with c the mean of the
 * L2-normalised ID rows (`centroid`, the default), or 1 − max_j cos(x, id_j) (`nearest`).
 * Alternatively the halves come from index lists (`lbwild_split_idx.json`, see data/responses).
 */
import { readSafetensors } from '../io/safetensors.js';
import { InputError } from '../errors.js';
import type { Matrix } from '../core/matrix.js';

export type SplitReference = 'centroid' | 'nearest';

export interface DistanceSplit {
  /** Row indices, nearest first (ties by index). */
  readonly order: number[];
  /** Cosine distance of each row to the ID set. */
  readonly distances: Float64Array;
  /** The ⌊n/2⌋ nearest rows, in order of distance. */
  readonly easy: number[];
  /** The remaining rows, in order of distance. */
  readonly hard: number[];
}

function normalisedRow(m: Matrix, i: number): Float64Array {
  const r = new Float64Array(m.cols);
  let s = 0;
  for (let j = 0; j < m.cols; j++) {
    r[j] = m.data[i * m.cols + j];
    s += r[j] * r[j];
  }
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let j = 0; j < m.cols; j++) r[j] *= inv;
  return r;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

/** Split the rows of `ood` by their cosine distance to the rows of `id` (same dimension). */
export function splitByDistance(ood: Matrix, id: Matrix, reference: SplitReference = 'centroid'): DistanceSplit {
  if (ood.cols !== id.cols) throw new InputError(`split embeddings: OOD dimension ${ood.cols} ≠ ID dimension ${id.cols}`);
  if (id.rows < 1 || ood.rows < 2) throw new InputError(`split embeddings: need ≥ 1 ID row and ≥ 2 OOD rows (got ${id.rows}, ${ood.rows})`);
  const idRows = Array.from({ length: id.rows }, (_, i) => normalisedRow(id, i));
  const distances = new Float64Array(ood.rows);
  if (reference === 'centroid') {
    const c = new Float64Array(id.cols);
    for (const r of idRows) for (let j = 0; j < c.length; j++) c[j] += r[j] / idRows.length;
    const norm = Math.sqrt(dot(c, c));
    for (let j = 0; j < c.length; j++) c[j] = norm > 0 ? c[j] / norm : 0;
    for (let i = 0; i < ood.rows; i++) distances[i] = 1 - dot(normalisedRow(ood, i), c);
  } else {
    for (let i = 0; i < ood.rows; i++) {
      const x = normalisedRow(ood, i);
      let best = -Infinity;
      for (const r of idRows) best = Math.max(best, dot(x, r));
      distances[i] = 1 - best;
    }
  }
  const order = Array.from({ length: ood.rows }, (_, i) => i).sort((a, b) => distances[a] - distances[b] || a - b);
  const half = Math.floor(ood.rows / 2);
  return { order, distances, easy: order.slice(0, half), hard: order.slice(half) };
}

/**
 * The query embedding x = (z_v + z_t)/2 (E6) of a safetensors file with tensors `x_v` and
 * `x_t` (an embedding set), and its sample ids (metadata `sample_ids`) when recorded.
 */
export function readQueryEmbeddings(path: string): { x: Matrix<Float64Array>; sampleIds?: string[] } {
  const { header, tensors } = readSafetensors(path, ['x_v', 'x_t']);
  const xv = tensors.get('x_v');
  const xt = tensors.get('x_t');
  if (!xv || !xt) throw new InputError(`${path}: needs tensors "x_v" and "x_t" (an embedding set)`);
  if (xv.shape.length !== 2 || xt.shape.length !== 2 || xv.shape[0] !== xt.shape[0] || xv.shape[1] !== xt.shape[1]) {
    throw new InputError(`${path}: "x_v" [${xv.shape.join(', ')}] and "x_t" [${xt.shape.join(', ')}] must be 2-D with the same shape`);
  }
  const [rows, cols] = xv.shape;
  const data = new Float64Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = (xv.data[k] + xt.data[k]) / 2;
  let sampleIds: string[] | undefined;
  const raw = header.metadata.sample_ids;
  if (raw !== undefined) {
    let ids: unknown;
    try {
      ids = JSON.parse(raw);
    } catch {
      throw new InputError(`${path}: metadata "sample_ids" is not JSON`);
    }
    if (!Array.isArray(ids) || ids.length !== rows) throw new InputError(`${path}: metadata "sample_ids" must be an array of ${rows} ids`);
    sampleIds = ids.map(String);
  }
  return { x: { rows, cols, data }, ...(sampleIds ? { sampleIds } : {}) };
}
