import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsdEngine } from '../../src/pipeline/jsd-engine.js';
import { representationJsd } from '../../src/core/jsd.js';
import { Rng } from '../../src/core/random.js';
import type { Matrix } from '../../src/core/matrix.js';
import { jsGemmBackend, onnxGemmBackend, type GemmBackend } from '../../src/accel/cross-products.js';

const rng = new Rng(31);
const rand = (rows: number, cols: number): Matrix<Float32Array> => ({ rows, cols, data: Float32Array.from({ length: rows * cols }, () => rng.normal()) });

test('engine JSD equals core representationJsd on both routes (Gram n_A+n_B ≤ d, covariance otherwise), JS and onnxruntime GEMM, 1e-10', async () => {
  const backends: GemmBackend[] = [jsGemmBackend, await onnxGemmBackend()];
  const cases: [Matrix, Matrix][] = [
    [rand(9, 40), rand(14, 40)], // Gram route
    [rand(30, 16), rand(25, 16)], // covariance route
    [rand(10, 16), rand(12, 16)], // mixture 22 > 16: covariance route though each set alone would use Gram
  ];
  for (const gemm of backends) {
    for (const mixture of ['equal', 'sample-weighted'] as const) {
      const engine = new JsdEngine(mixture, gemm);
      for (const [a, b] of cases) {
        const want = representationJsd(a, b, mixture);
        const got = await engine.jsd(a, b);
        assert.ok(Math.abs(got - want) < 1e-10, `${gemm.name} ${mixture} [${a.rows},${b.rows}]x${a.cols}: ${got} vs ${want}`);
        assert.equal(await engine.jsd(b, a), got, 'cached and symmetric');
      }
    }
  }
});

test('identical contents (even as different arrays) give exactly 0 and are computed once', async () => {
  let calls = 0;
  const counting: GemmBackend = { ...jsGemmBackend, crossProducts: async (a, b) => { calls++; return jsGemmBackend.crossProducts(a, b); } };
  const engine = new JsdEngine('equal', counting);
  const a = rand(8, 32);
  const copy: Matrix = { rows: 8, cols: 32, data: Float32Array.from(a.data) };
  assert.equal(await engine.jsd(a, copy), 0);
  assert.equal(calls, 0);
  const b = rand(8, 32);
  await engine.jsd(a, b);
  const after = calls;
  await engine.jsd(copy, b);
  assert.equal(calls, after, 'the pair was cached by content');
});

test('the worker-thread entropy pool gives bit-identical JSDs to the in-thread computation', async () => {
  const { EntropyPool } = await import('../../src/accel/entropy-pool.js');
  const pool = new EntropyPool(2);
  try {
    const inThread = new JsdEngine('equal');
    const pooled = new JsdEngine('equal', jsGemmBackend, pool.entropy);
    const pairs = Array.from({ length: 6 }, () => [rand(12, 48), rand(15, 48)] as const);
    const got = await Promise.all(pairs.map(([a, b]) => pooled.jsd(a, b)));
    for (let k = 0; k < pairs.length; k++) assert.equal(got[k], await inThread.jsd(pairs[k][0], pairs[k][1]));
  } finally {
    await pool.close();
  }
});
