import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEmbeddingSet, writeEmbeddingSet, embeddingSetName } from '../../src/io/embedding-set.js';
import { encodeNpy, readNpz, parseNpy } from '../../src/io/npy.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { InputError } from '../../src/errors.js';
import type { Matrix } from '../../src/core/matrix.js';
import { makeZip } from '../helpers/zip.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const m = (rows: number, cols: number, f = (k: number) => k / 10): Matrix<Float32Array> => ({ rows, cols, data: Float32Array.from({ length: rows * cols }, (_, k) => f(k)) });

test('write → read round-trip keeps tensors, name and sample ids', () => {
  const p = join(dir, 'llava_bench_coco_sr_4.safetensors');
  writeEmbeddingSet(p, { xv: m(3, 4), xt: m(3, 4), yHat: m(3, 5), y: m(3, 5), scenario: 'llava_bench_coco_sr_4', sampleIds: ['a', 'b', 'c'], encoders: { image: 'builtin' } });
  const s = readEmbeddingSet(p);
  assert.equal(s.name, 'llava_bench_coco_sr_4');
  assert.deepEqual(s.sampleIds, ['a', 'b', 'c']);
  assert.deepEqual(Array.from(s.yHat.data), Array.from(m(3, 5).data));
  assert.equal(s.metadata.format, 'mllmshift.embedding-set/1');
  assert.equal(embeddingSetName('/a/b/c.d.npz'), 'c.d');
});

test('.npz with the same array names is read (stored and deflated, float32 and float64, fortran order)', () => {
  const f64: Matrix<Float64Array> = { rows: 2, cols: 3, data: Float64Array.from([1, 2, 3, 4, 5, 6]) };
  for (const deflate of [false, true]) {
    const p = join(dir, `set${deflate ? '-z' : ''}.npz`);
    writeFileSync(p, makeZip({ 'x_v.npy': encodeNpy(f64), 'x_t.npy': encodeNpy(f64), 'y_hat.npy': encodeNpy(m(2, 2)), 'y.npy': encodeNpy(m(2, 2)) }, deflate));
    const s = readEmbeddingSet(p);
    assert.deepEqual(Array.from(s.xv.data), [1, 2, 3, 4, 5, 6]);
    assert.equal(s.y.cols, 2);
    assert.equal(readNpz(p).size, 4);
  }
  // Fortran order: the same logical matrix stored column-major.
  const hdr = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }";
  const pad = ' '.repeat(64 - ((10 + hdr.length + 1) % 64)) + '\n';
  const h = Buffer.from(hdr + pad, 'latin1');
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(h.length, 8);
  const body = Buffer.alloc(48);
  [1, 4, 2, 5, 3, 6].forEach((v, k) => body.writeDoubleLE(v, 8 * k));
  assert.deepEqual(Array.from(parseNpy(Buffer.concat([pre, h, body]), 'f.npy').data), [1, 2, 3, 4, 5, 6]);
});

test('invalid sets: missing tensors, row mismatch, dimension mismatch, n < 2, NaN/Inf, wrong rank, wrong extension', () => {
  const write = (name: string, t: Record<string, Matrix>): string => {
    const p = join(dir, name);
    writeSafetensors(p, Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { shape: [v.rows, v.cols], data: v.data }])));
    return p;
  };
  const ok = { x_v: m(3, 4), x_t: m(3, 4), y_hat: m(3, 4), y: m(3, 4) };
  const cases: [string, Record<string, Matrix>, RegExp][] = [
    ['missing.safetensors', { x_v: m(3, 4), x_t: m(3, 4), y: m(3, 4) }, /missing tensor "y_hat"/],
    ['rows.safetensors', { ...ok, y: m(2, 4) }, /tensor "y" has 2 rows but "x_v" has 3/],
    ['dims.safetensors', { ...ok, x_t: m(3, 5) }, /"x_t" has dimension 5 but "x_v" has 4/],
    ['ydims.safetensors', { ...ok, y: m(3, 5) }, /"y" has dimension 5 but "y_hat" has 4/],
    ['one.safetensors', { x_v: m(1, 4), x_t: m(1, 4), y_hat: m(1, 4), y: m(1, 4) }, /has 1 sample, at least 2 are needed/],
    ['nan.safetensors', { ...ok, x_t: m(3, 4, (k) => (k === 6 ? NaN : 0)) }, /tensor "x_t" has a non-finite value \(NaN\) at row 1, column 2/],
    ['inf.safetensors', { ...ok, y_hat: m(3, 4, (k) => (k === 11 ? Infinity : 0)) }, /"y_hat" has a non-finite value \(Infinity\) at row 2, column 3/],
  ];
  for (const [name, t, re] of cases) {
    const p = write(name, t);
    assert.throws(() => readEmbeddingSet(p), (e: unknown) => e instanceof InputError && e.message.startsWith(p) && re.test(e.message), name);
  }
  const p = join(dir, 'rank.safetensors');
  writeSafetensors(p, { x_v: { shape: [12], data: new Float32Array(12) }, x_t: { shape: [3, 4], data: new Float32Array(12) }, y_hat: { shape: [3, 4], data: new Float32Array(12) }, y: { shape: [3, 4], data: new Float32Array(12) } });
  assert.throws(() => readEmbeddingSet(p), /tensor "x_v" must be 2-D \[n, d\], found shape \[12\]/);
  assert.throws(() => readEmbeddingSet(join(dir, 'a.csv')), /unknown embedding-set type ".csv"/);
});
