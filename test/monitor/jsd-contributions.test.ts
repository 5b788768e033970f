/**
 * Per-sample JSD contributions and the Jacobi eigen-solver they use, against independent
 * values: the values-only solver, A·V = V·Λ, and the existing JSD (E10), which the two halves
 * ½D(ρ_R‖M) + ½D(ρ_W‖M) must add up to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symmetricEigen } from '../../src/core/eigen-vectors.js';
import { symmetricEigenvalues } from '../../src/core/eigen.js';
import { jsdContributions } from '../../src/core/jsd-contributions.js';
import { representationJsd } from '../../src/core/jsd.js';
import { Rng } from '../../src/core/random.js';
import type { Matrix } from '../../src/core/matrix.js';

function randomRows(rng: Rng, n: number, d: number, shift = 0): Matrix<Float64Array> {
  const data = new Float64Array(n * d);
  for (let k = 0; k < data.length; k++) data[k] = rng.next() - 0.5 + (k % d === 0 ? shift : 0);
  return { rows: n, cols: d, data };
}

test('Jacobi eigen-decomposition: values match the QL solver, A·V = V·Λ, V orthonormal (1e-10)', () => {
  const n = 40;
  const rng = new Rng(3);
  const b = randomRows(rng, n, n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let k = 0; k < n; k++) s += b.data[i * n + k] * b.data[j * n + k]; a[i * n + j] = s; }
  const { values, vectors } = symmetricEigen(a, n);
  const ref = Float64Array.from(symmetricEigenvalues(a, n)).sort();
  const got = Float64Array.from(values).sort();
  for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i] - ref[i]) < 1e-10, `λ_${i}: ${got[i]} vs ${ref[i]}`);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += a[i * n + k] * vectors[k * n + j];
      assert.ok(Math.abs(av - values[j] * vectors[i * n + j]) < 1e-10, `(AV)_${i}${j}`);
    }
    for (let q = 0; q < n; q++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += vectors[k * n + j] * vectors[k * n + q];
      assert.ok(Math.abs(dot - (j === q ? 1 : 0)) < 1e-10, `VᵀV_${j}${q} = ${dot}`);
    }
  }
});

test('contributions: window half + reference half = JSD (1e-9), and the shifted rows contribute most', () => {
  const rng = new Rng(11);
  const d = 32;
  // Typical rows live near the span of the first 4 coordinates (like clustered embeddings);
  // window rows 0..4 move into coordinates 8..12 (each its own direction).
  const typical = (n: number): Matrix<Float64Array> => {
    const m = randomRows(rng, n, d);
    for (let k = 0; k < m.data.length; k++) m.data[k] *= k % d < 4 ? 4 : 0.1;
    return m;
  };
  const ref = typical(30);
  const win = typical(20);
  for (let i = 0; i < 5; i++) win.data[i * d + 8 + i] += 3;
  const cw = jsdContributions(ref, win);
  const cr = jsdContributions(win, ref);
  const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
  const jsd = representationJsd(ref, win, 'equal');
  assert.ok(Math.abs(sum(cw) + sum(cr) - jsd) < 1e-9, `½D_W + ½D_R = ${sum(cw) + sum(cr)}, JSD = ${jsd}`);
  const order = [...cw.keys()].sort((x, y) => cw[y] - cw[x]);
  assert.deepEqual(order.slice(0, 5).sort((x, y) => x - y), [0, 1, 2, 3, 4]);
  // identical sets: every contribution 0
  const same = jsdContributions(ref, ref);
  for (const c of same) assert.ok(Math.abs(c) < 1e-9, `identical sets: c = ${c}`);
});
