import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepresentationSet, representationJsd, representationJsdPrepared, vonNeumannEntropy } from '../../src/core/jsd.js';
import { symmetricEigenvalues } from '../../src/core/eigen.js';
import { normalizeRows, takeRows, type Matrix } from '../../src/core/matrix.js';
import { Rng } from '../../src/core/random.js';
import { EXPECTED, zt, zv, zy, zyHat } from '../helpers/vectors.js';
import { assertClose } from '../helpers/assert-close.js';

const LN2 = Math.log(2);
/** Binary entropy in nats. */
const h = (p: number): number => -(p * Math.log(p) + (1 - p) * Math.log(1 - p));

function randomMatrix(rng: Rng, rows: number, cols: number): Matrix<Float64Array> {
  const d = new Float64Array(rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = rng.normal();
  return { rows, cols, data: d };
}

function basis(indices: number[], d: number): Matrix<Float64Array> {
  const m = new Float64Array(indices.length * d);
  indices.forEach((k, i) => { m[i * d + k] = 1; });
  return { rows: indices.length, cols: d, data: m };
}

/** Direct d×d route, independent of the Gram trick: S of Σ_w w·AᵀA from explicit scatter sums. */
function directJsd(a: Matrix, b: Matrix, equal: boolean): number {
  const A = normalizeRows(a);
  const B = normalizeRows(b);
  const d = A.cols;
  const cov = (m: Matrix, w: number): Float64Array => {
    const c = new Float64Array(d * d);
    for (let i = 0; i < m.rows; i++) for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) c[p * d + q] += w * m.data[i * d + p] * m.data[i * d + q];
    return c;
  };
  const ca = cov(A, equal ? 1 / A.rows : 1);
  const cb = cov(B, equal ? 1 / B.rows : 1);
  const mix = ca.map((v, k) => v + cb[k]);
  const S = (c: Float64Array): number => vonNeumannEntropy(symmetricEigenvalues(c, d));
  return S(mix) - 0.5 * (S(ca) + S(cb));
}

test('DESIGN.md §2 test vectors: JSD(zv, zt), JSD(zŷ, zy), sample-weighted JSD(zv[0:4], zt) to 1e-6', () => {
  assert.ok(Math.abs(representationJsd(zv, zt) - EXPECTED.jsdVisualText) < 1e-6);
  assert.ok(Math.abs(representationJsd(zyHat, zy) - EXPECTED.jsdOutput) < 1e-6);
  const half = { rows: 4, cols: 768, data: zv.data.subarray(0, 4 * 768) };
  assert.ok(Math.abs(representationJsd(half, zt, 'sample-weighted') - EXPECTED.jsdHalfVisualTextSampleWeighted) < 1e-6);
});

test('known values: identical → 0, orthogonal supports → ln 2, two unit vectors with cosine c → h((1+|c|)/2)', () => {
  const rng = new Rng(1);
  const a = randomMatrix(rng, 12, 20);
  assert.ok(Math.abs(representationJsd(a, a)) < 1e-12);
  assert.ok(Math.abs(representationJsd(basis([0, 1, 2], 8), basis([3, 4, 5], 8)) - LN2) < 1e-12);
  for (const [c, expected] of [[0.3, 0.647447], [0.9, 0.198515]] as const) {
    const u = { rows: 1, cols: 2, data: Float64Array.from([1, 0]) };
    const v = { rows: 1, cols: 2, data: Float64Array.from([c, Math.sqrt(1 - c * c)]) };
    const got = representationJsd(u, v);
    assert.ok(Math.abs(got - h((1 + c) / 2)) < 1e-12, `c = ${c}: ${got} vs closed form ${h((1 + c) / 2)}`);
    assert.ok(Math.abs(got - expected) < 1e-6, `c = ${c}: ${got} vs DESIGN value ${expected}`);
  }
});

test('k orthonormal rows have entropy ln k', () => {
  for (const k of [1, 2, 5, 16]) {
    const s = new RepresentationSet(basis(Array.from({ length: k }, (_, i) => i), 32));
    assert.ok(Math.abs(s.entropy - Math.log(k)) < 1e-12, `k = ${k}: ${s.entropy}`);
  }
});

test('symmetric, ≤ ln 2, invariant to a common rotation and to row order', () => {
  const rng = new Rng(2);
  const a = randomMatrix(rng, 9, 6);
  const b = randomMatrix(rng, 7, 6);
  const ab = representationJsd(a, b);
  assert.ok(Math.abs(ab - representationJsd(b, a)) < 1e-12);
  assert.ok(ab >= 0 && ab <= LN2 + 1e-12);
  // Random rotation: Q from Gram–Schmidt of a Gaussian matrix.
  const d = 6;
  const q = randomMatrix(rng, d, d).data;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += q[i * d + k] * q[j * d + k];
      for (let k = 0; k < d; k++) q[i * d + k] -= dot * q[j * d + k];
    }
    let nrm = 0;
    for (let k = 0; k < d; k++) nrm += q[i * d + k] ** 2;
    for (let k = 0; k < d; k++) q[i * d + k] /= Math.sqrt(nrm);
  }
  const rot = (m: Matrix): Matrix => {
    const out = new Float64Array(m.rows * d);
    for (let r = 0; r < m.rows; r++) for (let j = 0; j < d; j++) { let s = 0; for (let k = 0; k < d; k++) s += m.data[r * d + k] * q[j * d + k]; out[r * d + j] = s; }
    return { rows: m.rows, cols: d, data: out };
  };
  assert.ok(Math.abs(representationJsd(rot(a), rot(b)) - ab) < 1e-10);
  const perm = rng.permutation(a.rows);
  assert.ok(Math.abs(representationJsd(takeRows(a, perm), b) - ab) < 1e-12);
});

test('Gram-trick entropies (n ≤ d) equal the direct d×d computation, both mixtures, unequal n (1e-10)', () => {
  const rng = new Rng(4);
  const a = randomMatrix(rng, 5, 24);
  const b = randomMatrix(rng, 8, 24);
  for (const mixture of ['equal', 'sample-weighted'] as const) {
    const got = representationJsd(a, b, mixture);
    const want = directJsd(a, b, mixture === 'equal');
    assert.ok(Math.abs(got - want) < 1e-10, `${mixture}: ${got} vs ${want}`);
  }
});

test('the d×d fallback (n > d) equals the direct computation and the Gram route on the same data', () => {
  const rng = new Rng(6);
  const a = randomMatrix(rng, 40, 6);
  const b = randomMatrix(rng, 30, 6);
  assert.equal(new RepresentationSet(a).selfRoute, 'scatter');
  const got = representationJsd(a, b);
  assert.ok(Math.abs(got - directJsd(a, b, true)) < 1e-10);
  // Mixed case: the mixture (70 rows) goes d×d while each part alone uses its own route.
  const c = randomMatrix(rng, 4, 6);
  assert.ok(Math.abs(representationJsd(c, b) - directJsd(c, b, true)) < 1e-10);
});

test('equal and sample-weighted mixtures agree when n_A = n_B; sample-weighted can exceed ln 2 when they differ', () => {
  const rng = new Rng(8);
  const a = randomMatrix(rng, 10, 30);
  const b = randomMatrix(rng, 10, 30);
  assert.ok(Math.abs(representationJsd(a, b, 'equal') - representationJsd(a, b, 'sample-weighted')) < 1e-12);
  // One vector against many orthogonal ones: the n-weighted mixture is no longer a JSD.
  const one = basis([0], 12);
  const many = basis([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 12);
  assert.ok(Math.abs(representationJsd(one, many, 'equal') - LN2) < 1e-12);
  assert.ok(representationJsd(one, many, 'sample-weighted') > LN2);
});

test('prepared sets, reused across calls and in either order, give the reference JSD(zv, zt)', () => {
  // representationJsd wraps representationJsdPrepared, so compare with the independent value
  // (DESIGN's float64 reference, quoted to 7 digits: tolerance half a unit of the last digit).
  const a = new RepresentationSet(zv);
  const b = new RepresentationSet(zt);
  const first = representationJsdPrepared(a, b);
  assertClose(first, EXPECTED.jsdVisualText, 5e-8, 'JSD(zv, zt) from prepared sets');
  assert.equal(representationJsdPrepared(a, b), first, 'the second call reuses the cached entropies');
  assertClose(representationJsdPrepared(b, a), first, 1e-12, 'JSD is symmetric');
});

test('finite-sample floor: two halves of one isotropic 768-d distribution, n = 100 each, give JSD ≈ 0.63', () => {
  const rng = new Rng(11);
  const j = representationJsd(randomMatrix(rng, 100, 768), randomMatrix(rng, 100, 768));
  // DESIGN.md §2 quotes ≈ 0.63; the spread over seeds at this size is well under 0.01.
  assert.ok(Math.abs(j - 0.63) < 0.02, `JSD = ${j}`);
});
