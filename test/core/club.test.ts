import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clubEstimate, clubForward, clubFromMoments, type ClubNetwork } from '../../src/core/club.js';
import { emidUpperBound, emiFromMoments, queryEmbedding } from '../../src/core/emi.js';
import { representationJsd } from '../../src/core/jsd.js';
import { Rng } from '../../src/core/random.js';
import type { Matrix } from '../../src/core/matrix.js';
import { loadClubCheckpoint } from '../../src/io/estimator-checkpoint.js';
import { onnxClubMomentsFn } from '../../src/accel/club-moments.js';
import { EXPECTED, zt, zv, zy, zyHat } from '../helpers/vectors.js';
import { CLUB_GLOBAL, needsOfficial } from '../helpers/official.js';
import { writeSeededClub } from '../helpers/estimator.js';
import { tempDir } from '../helpers/tmp.js';

/** A network of the paper's shape (768 → 250 → 768), for the tests that need no trained weights. */
const net = loadClubCheckpoint(writeSeededClub(tempDir())).network;

test('DESIGN.md §2 test vectors with CLUB_global.pt: CLUB terms and EMI to 1e-7', needsOfficial('CLUB_global.pt'), () => {
  const net = loadClubCheckpoint(CLUB_GLOBAL).network;
  const x = queryEmbedding(zv, zt);
  const model = clubEstimate(net, x, zyHat);
  const reference = clubEstimate(net, x, zy);
  assert.ok(Math.abs(model - EXPECTED.clubModel) < 1e-7, `CLUB(x, zŷ) = ${model}`);
  assert.ok(Math.abs(reference - EXPECTED.clubReference) < 1e-7, `CLUB(x, zy) = ${reference}`);
  const { emi } = emiFromMoments(clubForward(net, x), zyHat, zy);
  assert.ok(Math.abs(emi - EXPECTED.emi) < 1e-7, `EMI = ${emi}`);
});

test('DESIGN.md §2 bound: P = (zv, zt, zŷ, zy), Q = (zt, zv, zy, zŷ), scale-adjusted UB to 1e-6', () => {
  const jP = representationJsd(zyHat, zy);
  const ub = emidUpperBound({ visual: representationJsd(zv, zt), text: representationJsd(zt, zv), idOutput: jP, oodOutput: representationJsd(zy, zyHat) });
  assert.ok(Math.abs(ub - EXPECTED.boundScaleAdjusted) < 1e-6, `UB = ${ub}`);
});

/** The authors' O(n²·d) form, written out literally: mean_i Σ_d [−(μ−y_i)² + mean_j (y_j − μ_i)²]/(2·exp(lv)). */
function naiveClub(mu: Matrix, lv: Matrix, y: Matrix): number {
  const n = y.rows;
  const d = y.cols;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) {
      const m = mu.data[i * d + t];
      const positive = -((m - y.data[i * d + t]) ** 2);
      let negative = 0;
      for (let j = 0; j < n; j++) negative += (y.data[j * d + t] - m) ** 2;
      negative /= n;
      total += (positive + negative) / (2 * Math.exp(lv.data[i * d + t]));
    }
  }
  return total / n;
}

function randomNet(rng: Rng, dx: number, hidden: number, dy: number, bounded: boolean): ClubNetwork {
  const m = (r: number, c: number): Matrix => ({ rows: r, cols: c, data: Float64Array.from({ length: r * c }, () => rng.normal() / Math.sqrt(c)) });
  const v = (k: number): Float64Array => Float64Array.from({ length: k }, () => 0.1 * rng.normal());
  return { muW1: m(hidden, dx), muB1: v(hidden), muW2: m(dy, hidden), muB2: v(dy), lvW1: m(hidden, dx), lvB1: v(hidden), lvW2: m(dy, hidden), lvB2: v(dy), boundedLogvar: bounded };
}

test('the O(n·d) expansion (E7) equals the literal O(n²·d) form to 1e-12 relative', () => {
  const rng = new Rng(21);
  for (const bounded of [true, false]) {
    const small = randomNet(rng, 7, 5, 6, bounded);
    const x: Matrix = { rows: 13, cols: 7, data: Float64Array.from({ length: 91 }, () => rng.normal()) };
    const y: Matrix = { rows: 13, cols: 6, data: Float64Array.from({ length: 78 }, () => rng.normal()) };
    const mom = clubForward(small, x);
    const fast = clubFromMoments(mom, y);
    const slow = naiveClub(mom.mu, mom.logvar, y);
    assert.ok(Math.abs(fast - slow) <= 1e-12 * Math.max(1, Math.abs(slow)), `${fast} vs ${slow}`);
  }
});

test('CLUB of y independent of x is near 0, and large when y = μ(x) exactly', () => {
  const rng = new Rng(22);
  const small = randomNet(rng, 4, 8, 3, false);
  const n = 4000;
  const x: Matrix = { rows: n, cols: 4, data: Float64Array.from({ length: n * 4 }, () => rng.normal()) };
  const mom = clubForward(small, x);
  const indep: Matrix = { rows: n, cols: 3, data: Float64Array.from({ length: n * 3 }, () => rng.normal()) };
  // For y ⟂ x the positive and negative terms have the same expectation; the sample value is
  // O(1/√n) around 0 (here the per-term scale is ≈ 1, so |CLUB| < 0.2 is a 5σ-type margin).
  assert.ok(Math.abs(clubFromMoments(mom, indep)) < 0.2);
  assert.ok(clubFromMoments(mom, mom.mu) > 0.5);
});

test('onnxruntime forward equals the plain-JS forward to 1e-12 (float64 both)', async () => {
  const rng = new Rng(23);
  const x: Matrix = { rows: 37, cols: 768, data: Float64Array.from({ length: 37 * 768 }, () => 0.05 * rng.normal()) };
  const ref = clubForward(net, x);
  const ort = await (await onnxClubMomentsFn(net))(x);
  let md = 0;
  for (let i = 0; i < ref.mu.data.length; i++) md = Math.max(md, Math.abs(ref.mu.data[i] - ort.mu.data[i]), Math.abs(ref.logvar.data[i] - ort.logvar.data[i]));
  assert.ok(md < 1e-12, `max |Δ| = ${md}`);
  const unbounded = randomNet(rng, 768, 16, 768, false);
  const a = clubForward(unbounded, x);
  const b = await (await onnxClubMomentsFn(unbounded))(x);
  for (let i = 0; i < a.logvar.data.length; i++) assert.ok(Math.abs(a.logvar.data[i] - b.logvar.data[i]) < 1e-12);
});

test('bound: clamps negative JSD at 0, full form uses H and 4·(J^¼)', () => {
  const j = { visual: -1e-12, text: 0.25, idOutput: 0.0625, oodOutput: 0 };
  assert.equal(emidUpperBound(j), 0 + 0.5 + 0.5 + 0);
  assert.equal(emidUpperBound(j, 'full', 3), 3 * 0.5 + 4 * 0.5);
  assert.ok(Number.isFinite(emidUpperBound({ visual: -0.1, text: -0.1, idOutput: -0.1, oodOutput: -0.1 })));
});

test('shape errors are RangeErrors, not NaN', () => {
  assert.throws(() => clubEstimate(net, { rows: 2, cols: 10, data: new Float64Array(20) }, { rows: 2, cols: 768, data: new Float64Array(1536) }), RangeError);
  assert.throws(() => queryEmbedding(zv, { rows: 3, cols: 768, data: new Float64Array(3 * 768) }), RangeError);
});
