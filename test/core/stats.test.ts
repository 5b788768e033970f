import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kendall, pearson, ranks, spearman } from '../../src/core/stats.js';

// Reference values from scipy.stats 1.x (pearsonr, spearmanr, kendalltau with ties).
const x = [0.1, 0.4, 0.35, 0.8, 0.9, 0.5, 0.5, 0.2];
const y = [1.0, 2.1, 1.9, 3.5, 3.0, 2.5, 2.0, 2.0];

test('Pearson, Spearman, Kendall τ-b and p-values match scipy to 1e-12 (ties included)', () => {
  const near = (a: number | null, b: number, what: string): void => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
  const p = pearson(x, y);
  near(p.statistic, 0.9071669893904003, 'pearson r');
  near(p.pValue, 0.0018634101788581117, 'pearson p');
  const s = spearman(x, y);
  near(s.statistic, 0.8734939759036143, 'spearman rho');
  near(s.pValue, 0.004593358423880395, 'spearman p');
  const k = kendall(x, y);
  near(k.statistic, 0.7407407407407407, 'kendall tau');
  near(k.pValue, 0.011990793224189214, 'kendall p');
});

test('hand-computed: pearson([1,2,3,4],[1,3,2,4]) = 0.8; mid-ranks of ties', () => {
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [1, 3, 2, 4]).statistic! - 0.8) < 1e-15);
  assert.deepEqual(Array.from(ranks([10, 20, 10, 30])), [1.5, 3, 1.5, 4]);
  assert.equal(kendall([1, 2, 3], [3, 2, 1]).statistic, -1);
});

test('undefined statistics are null, never NaN: n < 2, zero variance, n = 2 p-value', () => {
  assert.equal(pearson([1], [2]).statistic, null);
  assert.equal(pearson([1, 1, 1], [1, 2, 3]).statistic, null);
  assert.equal(spearman([1, 2], [2, 1]).pValue, null);
  assert.equal(kendall([1, 1], [2, 3]).statistic, null);
  assert.throws(() => pearson([1, 2], [1]), RangeError);
  assert.throws(() => pearson([1, NaN], [1, 2]), RangeError);
});
