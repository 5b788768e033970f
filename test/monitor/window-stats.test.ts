/**
 * The monitor's statistics against independent computations: the alpha-spending sums and the
 * t threshold (closed forms, table values), EMI with partial references against E8 on the
 * referenced subset, the JSD of a subset cut from the pooled Gram matrix against E10 computed
 * from scratch, and the permutation null's behaviour (a shifted window lies far out, a window
 * from the reference distribution does not).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertThreshold, decide, spentAlpha } from '../../src/monitor/alerts.js';
import { emiOf, permutationNull, pooled, prepareReference, subsetJsd, windowStatistics, type EmbeddedRows } from '../../src/monitor/window-stats.js';
import { clubFromMoments } from '../../src/core/club.js';
import { representationJsd } from '../../src/core/jsd.js';
import { takeRows, type Matrix } from '../../src/core/matrix.js';
import { Rng } from '../../src/core/random.js';

test('alpha spending: Σ_{k≤K} α/(k(k+1)) = α·K/(K+1) (1e-15); t threshold matches tables (1e-3)', () => {
  for (const K of [1, 5, 50, 1000]) {
    let s = 0;
    for (let k = 1; k <= K; k++) s += spentAlpha(0.01, k);
    assert.ok(Math.abs(s - (0.01 * K) / (K + 1)) < 1e-15, `K=${K}: ${s}`);
  }
  // t_{0.975, 9} = 2.262157, t_{0.999, 39} = 3.312788 (standard tables); threshold = t·√(1 + 1/M).
  assert.ok(Math.abs(alertThreshold(0.025, 10) - 2.262157 * Math.sqrt(1.1)) < 1e-3, String(alertThreshold(0.025, 10)));
  assert.ok(Math.abs(alertThreshold(0.001, 40) - 3.312788 * Math.sqrt(1.025)) < 1e-3, String(alertThreshold(0.001, 40)));
  const d = decide('bound', 2, { mean: 1, sd: 0.1 }, 40, 0.005, 3, 0);
  assert.equal(d.z, 10);
  assert.equal(d.alert, true);
  assert.equal(decide('bound', 2, { mean: 1, sd: 0.1 }, 40, 0.005, 3, 1.5).alert, false, 'below the practical threshold');
  assert.equal(decide('emid', 1.02, { mean: 1, sd: 0.1 }, 40, 0.005, 3, 0).alert, false);
});

function rows(rng: Rng, n: number, d: number, shift: number, referencedEvery = 2): EmbeddedRows {
  const m = (s: number): Matrix<Float64Array> => {
    const data = new Float64Array(n * d);
    for (let k = 0; k < data.length; k++) data[k] = (k % d < 4 ? 3 : 0.3) * (rng.next() - 0.5) + (k % d === 5 ? s : 0);
    return { rows: n, cols: d, data };
  };
  const xv = m(shift);
  const moments: { mu: Matrix<Float64Array>; logvar: Matrix<Float64Array> } = { mu: m(0), logvar: { rows: n, cols: d, data: new Float64Array(n * d).fill(-1) } };
  return { xv, xt: m(shift / 2), yHat: m(0), y: m(0), referenced: Uint8Array.from({ length: n }, (_, i) => (i % referencedEvery === 0 ? 1 : 0)), moments };
}

test('EMI with partial references = CLUB(all, ŷ) − CLUB(referenced, y) (1e-12); subset JSD from the pooled Gram = E10 from scratch (1e-10)', () => {
  const rng = new Rng(2);
  const r = rows(rng, 30, 16, 0);
  const idx = [...r.referenced.keys()].filter((i) => r.referenced[i]);
  const sub = (m: Matrix<Float64Array>) => takeRows(m, idx);
  const expected = clubFromMoments(r.moments, r.yHat) - clubFromMoments({ mu: sub(r.moments.mu), logvar: sub(r.moments.logvar) }, takeRows(r.y, idx));
  assert.ok(Math.abs(emiOf(r) - expected) < 1e-12, `${emiOf(r)} vs ${expected}`);
  const w = rows(rng, 12, 16, 1);
  const p = pooled(r.xv, w.xv);
  const ia = [0, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
  const ib = [1, 2, 4, 8, 16, 32, 41];
  for (const mixture of ['equal', 'sample-weighted'] as const) {
    const all = { rows: 42, cols: 16, data: new Float64Array([...r.xv.data, ...w.xv.data]) };
    const direct = representationJsd(takeRows(all, ia), takeRows(all, ib), mixture);
    const cut = subsetJsd(p, ia, ib, mixture);
    assert.ok(Math.abs(cut - direct) < 1e-10, `${mixture}: ${cut} vs ${direct}`);
  }
});

test('permutation null: a shifted window is far out (z > 5), a window from the same distribution is not (|z| < 3)', () => {
  const rng = new Rng(9);
  const opts = { mixture: 'equal' as const, bound: 'scale-adjusted' as const, entropyScaler: 1 };
  const ref = prepareReference(rows(rng, 40, 16, 0), opts);
  for (const [shift, far] of [[0, false], [2, true]] as const) {
    const w = rows(rng, 20, 16, shift);
    const s = windowStatistics(ref, w, opts);
    const nul = permutationNull(ref, w, 40, 1, opts);
    const z = (s.jsd.visual - nul.visual.mean) / nul.visual.sd;
    if (far) assert.ok(z > 5, `shift ${shift}: z = ${z}`);
    else assert.ok(Math.abs(z) < 3, `shift ${shift}: z = ${z}`);
    assert.equal(nul.windows, 40);
    assert.equal(nul.referenced, 10);
  }
});
