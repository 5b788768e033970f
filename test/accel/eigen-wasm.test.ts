import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EIGEN_WASM_URL, wasmEigenAvailable, wasmSymmetricEigenvalues } from '../../src/accel/eigen-wasm.js';
import { symmetricEigenvalues } from '../../src/core/eigen.js';
import { Rng } from '../../src/core/random.js';
import { assertClose } from '../helpers/assert-close.js';

const sorted = (a: Float64Array): Float64Array => Float64Array.from(a).sort();
const skip = wasmEigenAvailable() ? false : 'this Node cannot run WebAssembly SIMD';

function randomSymmetric(rng: Rng, n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { const v = rng.normal(); a[i * n + j] = v; a[j * n + i] = v; }
  return a;
}

/** Sorted spectra agree to tol·max|λ| (the backward error of both solvers is O(ε‖A‖), so a norm-relative bound). */
function assertSameSpectrum(got: Float64Array, want: Float64Array, tol: number, label: string): void {
  assert.equal(got.length, want.length);
  const g = sorted(got);
  const w = sorted(want);
  const scale = Math.max(1e-300, ...Array.from(w, Math.abs));
  for (let i = 0; i < w.length; i++) assertClose(g[i], w[i], tol * scale, `${label} λ${i}`);
}

test('WebAssembly eigenvalues equal the JS solver to 1e-10 relative on random matrices n = 1…12, 33, 90, 181; input untouched', { skip }, () => {
  const rng = new Rng(7);
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 33, 90, 181]) {
    const a = randomSymmetric(rng, n);
    const copy = Float64Array.from(a);
    assertSameSpectrum(wasmSymmetricEigenvalues(a, n), symmetricEigenvalues(a, n), 1e-10, `n = ${n}`);
    assert.deepEqual(a, copy, 'input not modified');
  }
});

test('closed forms: tridiagonal Toeplitz 2 − 2cos(kπ/(n+1)), all-ones n·e₁, diagonal, zero matrix (1e-12)', { skip }, () => {
  for (const n of [3, 50, 128]) {
    const t = new Float64Array(n * n);
    for (let i = 0; i < n; i++) { t[i * n + i] = 2; if (i > 0) { t[i * n + i - 1] = -1; t[(i - 1) * n + i] = -1; } }
    const want = Float64Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
    assertSameSpectrum(wasmSymmetricEigenvalues(t, n), want, 1e-12, `Toeplitz n = ${n}`);
    const ones = new Float64Array(n * n).fill(1);
    assertSameSpectrum(wasmSymmetricEigenvalues(ones, n), Float64Array.from({ length: n }, (_, k) => (k === 0 ? n : 0)), 1e-12, `ones n = ${n}`);
    const diag = new Float64Array(n * n);
    for (let i = 0; i < n; i++) diag[i * n + i] = (i % 7) - 3 + i / n;
    assertSameSpectrum(wasmSymmetricEigenvalues(diag, n), Float64Array.from({ length: n }, (_, i) => (i % 7) - 3 + i / n), 1e-15, `diagonal n = ${n}`);
    assert.deepEqual(Array.from(wasmSymmetricEigenvalues(new Float64Array(n * n), n)), new Array(n).fill(0));
  }
});

test('rank-deficient Gram matrix of repeated unit rows (the bootstrap\'s case): k non-zero eigenvalues, same as JS', { skip }, () => {
  const rng = new Rng(9);
  const n = 120; const k = 7; const d = 16;
  const base = Array.from({ length: k }, () => { const v = Array.from({ length: d }, () => rng.normal()); const s = Math.hypot(...v); return v.map((x) => x / s); });
  const rows = Array.from({ length: n }, (_, i) => base[i % k]);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[i * n + j] = rows[i].reduce((s, x, t) => s + x * rows[j][t], 0);
  const ev = wasmSymmetricEigenvalues(g, n);
  assertSameSpectrum(ev, symmetricEigenvalues(g, n), 1e-10, 'repeated rows');
  assert.equal(Array.from(ev).filter((v) => Math.abs(v) > 1e-9 * n).length, k);
});

test('errors: wrong length is a RangeError', { skip }, () => {
  assert.throws(() => wasmSymmetricEigenvalues(new Float64Array(3), 2), RangeError);
});

const clang = spawnSync('clang', ['--version']).status === 0 && spawnSync('wasm-ld', ['--version']).status === 0;

test('the committed wasm/eigen.wasm is the build of wasm/eigen.c', { skip: clang ? false : 'clang or wasm-ld not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'eigen-wasm-'));
  try {
    const out = join(dir, 'eigen.wasm');
    const script = fileURLToPath(new URL('../../wasm/build.sh', import.meta.url));
    const r = spawnSync('sh', [script, out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(EIGEN_WASM_URL)), 'wasm/eigen.wasm differs from a rebuild: run wasm/build.sh and commit the result');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
