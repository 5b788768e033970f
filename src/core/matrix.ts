/**
 * Dense row-major matrices on typed arrays. Shapes travel with the data (STYLE.md):
 * element (i, j) is data[i * cols + j].
 */
export type FloatArray = Float32Array | Float64Array;

export interface Matrix<T extends FloatArray = FloatArray> {
  readonly rows: number;
  readonly cols: number;
  readonly data: T;
}

/** A matrix view over `data` (no copy); throws if the length does not match rows × cols. */
export function matrix<T extends FloatArray>(rows: number, cols: number, data: T): Matrix<T> {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`matrix: bad shape [${rows}, ${cols}]`);
  }
  if (data.length !== rows * cols) {
    throw new RangeError(`matrix: data length ${data.length} does not match shape [${rows}, ${cols}]`);
  }
  return { rows, cols, data };
}

export function zeros64(rows: number, cols: number): Matrix<Float64Array> {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export function zeros32(rows: number, cols: number): Matrix<Float32Array> {
  return { rows, cols, data: new Float32Array(rows * cols) };
}

/** Row i as a view (no copy). */
export function row<T extends FloatArray>(m: Matrix<T>, i: number): T {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols) as T;
}

/** The rows at `indices`, copied into a new matrix of the same element type. */
export function takeRows<T extends FloatArray>(m: Matrix<T>, indices: ArrayLike<number>): Matrix<T> {
  const Ctor = m.data.constructor as { new (n: number): T };
  const out = new Ctor(indices.length * m.cols);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  }
  return { rows: indices.length, cols: m.cols, data: out };
}

/** Copy to float64. */
export function toFloat64(m: Matrix): Matrix<Float64Array> {
  return { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) };
}

/** A copy with each row scaled to unit L2 norm (zero rows stay zero). */
export function normalizeRows(m: Matrix): Matrix<Float64Array> {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) {
    const o = i * m.cols;
    let s = 0;
    for (let j = 0; j < m.cols; j++) s += m.data[o + j] * m.data[o + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < m.cols; j++) out[o + j] = m.data[o + j] * inv;
  }
  return { rows: m.rows, cols: m.cols, data: out };
}

/** Index of the first non-finite element, or -1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}
