import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirichletWeights } from '../../../src/core/bootstrap-emi.js';
import { clubForward, clubFromMoments, type ClubNetwork } from '../../../src/core/club.js';
import { representationJsd } from '../../../src/core/jsd.js';
import { Rng } from '../../../src/core/random.js';
import { initClubParams, clubNetworkFromParams } from '../../../src/core/estimators/club-train.js';
import { emidUncertainty, emiIntervals } from '../../../src/pipeline/estimate-intervals.js';
import { percentileInterval, permutationPValue, quantile } from '../../../src/core/bootstrap.js';
import type { EmbeddingSet } from '../../../src/io/embedding-set.js';
import { takeRows, type Matrix } from '../../../src/core/matrix.js';
import { zv, zt } from '../../helpers/vectors.js';

const D = 6;
/** μ(x) = tanh(0.3x)/0.3 ≈ x, logvar = tanh(0) = 0: close to the true conditional of y = x + noise. */
function identityNet(): ClubNetwork {
  const eye = (s: number): Float64Array => Float64Array.from({ length: D * D }, (_, k) => (k % (D + 1) === 0 ? s : 0));
  const p = initClubParams({ dx: D, dy: D, hidden: D, boundedLogvar: true }, new Rng(42));
  const params = [eye(0.3), new Float64Array(D), eye(1 / 0.3), new Float64Array(D), p[4], p[5], new Float64Array(D * D), new Float64Array(D)] as const;
  return clubNetworkFromParams(params, { dx: D, dy: D, hidden: D, boundedLogvar: true });
}
const net = identityNet();

/** A synthetic "embedding set": x_v = x_t = x ~ N(0, I), y = a·x + noise, ŷ = b·x + noise. */
function synthetic(name: string, n: number, a: number, b: number, seed: number): EmbeddingSet {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: n * D }, () => rng.normal());
  const m = (c: number): Matrix => ({ rows: n, cols: D, data: x.map((v) => c * v + Math.sqrt(1 - c * c) * rng.normal()) });
  const xm = { rows: n, cols: D, data: x };
  return { name, path: `${name}.safetensors`, xv: xm, xt: xm, yHat: m(b), y: m(a), metadata: {} } as EmbeddingSet;
}

function emi(s: EmbeddingSet): number {
  const mo = clubForward(net, s.xv);
  return clubFromMoments(mo, s.yHat) - clubFromMoments(mo, s.y);
}

test('quantile, percentile interval and permutation p-value', () => {
  assert.equal(quantile([3, 1, 2, 4], 0.5), 2.5);
  const [lo, hi] = percentileInterval(Float64Array.from({ length: 101 }, (_, i) => i));
  assert.ok(Math.abs(lo - 2.5) < 1e-12 && Math.abs(hi - 97.5) < 1e-12);
  assert.equal(permutationPValue(1, [0.5, -2, 0.1, 1]), 3 / 5);
  assert.throws(() => quantile([1, NaN], 0.5), /non-finite/);
});

test('weighted statistics reduce to the unweighted ones with unit weights', () => {
  const s = synthetic('a', 40, 0.8, 0.5, 1);
  const mo = clubForward(net, s.xv);
  const ones = new Float64Array(40).fill(1);
  assert.ok(Math.abs(clubFromMoments(mo, s.y, undefined, ones) - clubFromMoments(mo, s.y)) < 1e-12);
  const w = dirichletWeights(new Rng(2), 40);
  assert.ok(Math.abs(w.reduce((a, v) => a + v, 0) - 40) < 1e-9 && w.every((v) => v > 0));
  // Gram route (n_A + n_B ≤ d) against the published vectors, and the d×d route.
  const e8 = new Float64Array(8).fill(1);
  assert.ok(Math.abs(representationJsd(zv, zt, 'equal', { weightsA: e8, weightsB: e8 }) - 0.6228169) < 1e-6);
  const b = synthetic('b', 30, 0.2, 0.1, 3);
  for (const mix of ['equal', 'sample-weighted'] as const) {
    const got = representationJsd(s.y, b.y, mix, { weightsA: ones, weightsB: new Float64Array(30).fill(1) });
    assert.ok(Math.abs(got - representationJsd(s.y, b.y, mix)) < 1e-12);
  }
});

test('integer row weights equal duplicated rows: CLUB (E7) and JSD (E10) on both routes, 1e-10', () => {
  // Weight k on a row contributes exactly what k copies of it do to every sum of E7 and E10.
  const rng = new Rng(5);
  for (const [na, nb] of [[7, 5], [40, 30]] as const) {
    const a = synthetic('a', na, 0.7, 0.4, 11);
    const b = synthetic('b', nb, 0.3, 0.2, 12);
    const wa = Float64Array.from({ length: na }, () => rng.int(3));
    wa[0] = 1;
    const wb = Float64Array.from({ length: nb }, () => 1 + rng.int(2));
    const dup = (w: Float64Array): number[] => Array.from(w).flatMap((k, i) => Array.from({ length: k }, () => i));
    const ia = dup(wa);
    const ib = dup(wb);
    for (const mix of ['equal', 'sample-weighted'] as const) {
      const got = representationJsd(a.y, b.y, mix, { weightsA: wa, weightsB: wb });
      const want = representationJsd(takeRows(a.y, ia), takeRows(b.y, ib), mix);
      assert.ok(Math.abs(got - want) < 1e-10, `[${na}, ${nb}] ${mix}: weighted ${got} vs duplicated ${want}`);
    }
    const mo = clubForward(net, a.xv);
    const moDup = clubForward(net, takeRows(a.xv, ia));
    const got = clubFromMoments(mo, a.y, undefined, wa);
    const want = clubFromMoments(moDup, takeRows(a.y, ia));
    assert.ok(Math.abs(got - want) < 1e-10, `CLUB weighted ${got} vs duplicated ${want}`);
  }
});

test('bootstrap intervals for EMI and EMID cover the population value ≥ 90 % of the time', async () => {
  // Population values from one very large sample (E7 is O(n·d)); its own error (~1e-3) is far
  // below the interval widths (~0.2).
  const idTruth = emi(synthetic('big-id', 200_000, 0.8, 0.5, 7));
  const oodTruth = emi(synthetic('big-ood', 200_000, 0.6, 0.6, 8));
  const R = 100;
  let coverId = 0;
  let coverEmid = 0;
  for (let r = 0; r < R; r++) {
    const id = synthetic('id', 150, 0.8, 0.5, 1000 + r);
    const ood = synthetic('ood', 150, 0.6, 0.6, 5000 + r);
    const u = await emidUncertainty(id, [ood], net, { bootstrap: 150, seed: r });
    const ciId = u.idEmi!;
    const ciEmid = u.ood.get('ood')!.emid!;
    if (ciId[0] <= idTruth && idTruth <= ciId[1]) coverId++;
    if (ciEmid[0] <= idTruth - oodTruth && idTruth - oodTruth <= ciEmid[1]) coverEmid++;
  }
  // Nominal 95 %; the binomial sd of the coverage over 100 runs is ≈ 0.022.
  assert.ok(coverId / R >= 0.9, `EMI coverage ${coverId / R}`);
  assert.ok(coverEmid / R >= 0.9, `EMID coverage ${coverEmid / R}`);
});

test('permutation p-values: uniform-ish under exchangeability, small under a real shift', async () => {
  let rejections = 0;
  const R = 60;
  for (let r = 0; r < R; r++) {
    const id = synthetic('id', 60, 0.8, 0.5, 200 + r);
    const ood = synthetic('ood', 60, 0.8, 0.5, 400 + r);
    const u = await emidUncertainty(id, [ood], net, { bootstrap: 0, permutations: 99, seed: r });
    if (u.ood.get('ood')!.emidPValue! <= 0.05) rejections++;
  }
  // Expected 5 % rejections; ≤ 9 of 60 (15 %) allows for binomial noise (P(X ≥ 10) < 0.3 %).
  assert.ok(rejections <= 9, `${rejections} of ${R} rejected at 5 %`);
  const id = synthetic('id', 200, 0.95, 0.1, 1);
  const ood = synthetic('ood', 200, 0.1, 0.95, 2);
  const u = await emidUncertainty(id, [ood], net, { bootstrap: 50, permutations: 199, seed: 0 });
  const o = u.ood.get('ood')!;
  assert.ok(o.emidPValue! <= 0.01, `p = ${o.emidPValue}`);
  assert.ok(o.jsd && o.jsd.visual[0] <= o.jsd.visual[1] && o.bound![0] <= o.bound![1]);
  const single = await emiIntervals([id], net, { bootstrap: 100, seed: 1 });
  const ci = single.get('id')!;
  assert.ok(ci[0] < emi(id) && emi(id) < ci[1]);
});
