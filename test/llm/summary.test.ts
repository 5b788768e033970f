import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose } from '../helpers/assert-close.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pyRound, quantileSorted, readReviewFile, summarizeReviews, formatReviewsSummary, type ScoredReview } from '../../src/llm/summary.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

const close = (a: number | null, b: number, tol = 1e-9) => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

// Hand-worked example (values computed on paper):
//   conv    [8,7] [6,9] [7,7]      ref 21/3 = 7,   model 23/3,  RP 2300/21 = 109.5238, wins 1 ties 1 → 50 %
//   detail  [9,6] [8,8]            ref 8.5,        model 7,     RP 1400/17 = 82.3529,  ties 1 → 25 %
//   complex [7,8] [6,4] failed     ref 6.5,        model 6,     RP 1200/13 = 92.3077,  wins 1 → 50 %
//   all     7 scored, 1 failed     ref 51/7,       model 49/7,  RP 4900/51 = 96.0784,  wins 2 ties 2 → 3/7
const REVIEWS: ScoredReview[] = [
  { category: 'conv', tuple: [8, 7] }, { category: 'conv', tuple: [6, 9] }, { category: 'conv', tuple: [7, 7] },
  { category: 'detail', tuple: [9, 6] }, { category: 'detail', tuple: [8, 8] },
  { category: 'complex', tuple: [7, 8] }, { category: 'complex', tuple: [6, 4] }, { category: 'complex', tuple: null },
];

test('summary reproduces hand-computed RP, win rate and failed counts', () => {
  const s = summarizeReviews(REVIEWS, { resamples: 0 });
  assert.deepEqual(s.categories.map((c) => c.category), ['all', 'complex', 'conv', 'detail']);
  const by = Object.fromEntries(s.categories.map((c) => [c.category, c]));
  close(by.conv.referenceMean, 7);
  close(by.conv.modelMean, 23 / 3);
  close(by.conv.relativeScore, 2300 / 21);
  close(by.conv.winRate, 50);
  close(by.detail.relativeScore, 1400 / 17);
  close(by.detail.winRate, 25);
  close(by.complex.relativeScore, 1200 / 13);
  close(by.complex.winRate, 50);
  assert.deepEqual([by.complex.n, by.complex.failed], [2, 1]);
  close(by.all.referenceMean, 51 / 7);
  close(by.all.modelMean, 7);
  close(by.all.relativeScore, 4900 / 51);
  close(by.all.winRate, 300 / 7);
  assert.deepEqual([by.all.n, by.all.failed, by.all.wins, by.all.ties, by.all.losses], [7, 1, 2, 2, 3]);
  assert.equal(by.all.relativeScoreCI, null);
});

test('the llava numbers are those summarize_gpt_review.py prints (means rounded to 3 places first)', () => {
  const by = Object.fromEntries(summarizeReviews(REVIEWS, { resamples: 0 }).categories.map((c) => [c.category, c.llava]));
  // all: means 7.286 and 7.0 → round(7.0/7.286·100, 1) = 96.1 (the exact ratio, 96.08, would round to 96.1 too),
  // round(72.86, 1) = 72.9, 70.0.
  assert.deepEqual(by.all, { relative: 96.1, reference: 72.9, model: 70 });
  assert.deepEqual(by.conv, { relative: 109.5, reference: 70, model: 76.7 });
  assert.deepEqual(by.detail, { relative: 82.4, reference: 85, model: 70 });
  assert.deepEqual(by.complex, { relative: 92.3, reference: 65, model: 60 });
  // Rounding the means first matters: ref [1,1,2], model [2,2,1] → means 1.333 and 1.667 →
  // round(1.667/1.333·100, 1) = round(125.056…, 1) = 125.1, while the exact RP is 125.0.
  const r = summarizeReviews([[1, 2], [1, 2], [2, 1]].map((t) => ({ tuple: t as [number, number] })), { resamples: 0 });
  assert.deepEqual(r.categories[0].llava, { relative: 125.1, reference: 13.3, model: 16.7 });
  close(r.categories[0].relativeScore, 125);
});

test('pyRound follows Python: exact binary value, ties to even', () => {
  assert.equal(pyRound(2.675, 2), 2.67);
  assert.equal(pyRound(0.125, 2), 0.12);
  assert.equal(pyRound(0.375, 2), 0.38);
  assert.equal(pyRound(7.0625, 3), 7.062);
  assert.equal(pyRound(7.1875, 3), 7.188);
  assert.equal(pyRound(0.5, 0), 0);
  assert.equal(pyRound(1.5, 0), 2);
  assert.equal(pyRound(2.5, 0), 2);
  assert.equal(pyRound(-2.5, 0), -2);
  assert.equal(pyRound(-7.1875, 3), -7.188);
  assert.equal(pyRound(109.52380952380952, 1), 109.5);
  assert.equal(pyRound(99.99, 1), 100);
  assert.equal(pyRound(7, 3), 7);
});

test('quantileSorted interpolates linearly between order statistics', () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0), 1);
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([10, 20], 0.25), 12.5);
  assert.ok(Number.isNaN(quantileSorted([], 0.5)));
});

test('bootstrap intervals: seeded, bracket the estimate, and have the normal-theory width on a large sample', () => {
  const a = summarizeReviews(REVIEWS, { resamples: 500, seed: 3 });
  const b = summarizeReviews(REVIEWS, { resamples: 500, seed: 3 });
  assert.deepEqual(a, b);
  const all = a.categories[0];
  assert.ok(all.relativeScoreCI![0] <= all.relativeScore! && all.relativeScore! <= all.relativeScoreCI![1]);
  assert.ok(all.winRateCI![0] <= all.winRate! && all.winRate! <= all.winRateCI![1]);
  const detailTie = a.categories.find((c) => c.category === 'detail')!;
  // detail: a loss and a tie, ½ success of 2: Wilson [2.6677342009, 80.2132544238] (scipy quantile).
  assertClose(detailTie.winRateCI![0], 2.667734200898464, 1e-8, 'Wilson low (detail)');
  assertClose(detailTie.winRateCI![1], 80.21325442376889, 1e-8, 'Wilson high (detail)');

  // The win rate's interval is Wilson's (closed form, values from scipy's normal quantile at
  // test-writing time): 400 items, alternately a win and a loss: [45.12345042, 54.87654958].
  const big: ScoredReview[] = Array.from({ length: 400 }, (_, i) => ({ tuple: i % 2 === 0 ? [5, 6] : [6, 5] }));
  const ci = summarizeReviews(big, { resamples: 2000, seed: 1 }).categories[0].winRateCI!;
  assertClose(ci[0], 45.1234504169709, 1e-8, 'Wilson low (200/400)');
  assertClose(ci[1], 54.8765495830291, 1e-8, 'Wilson high (200/400)');

  // Two ties: ½ + ½ = 1 success of 2, Wilson [9.4531205734, 90.5468794266]; RP's bootstrap is degenerate.
  const same = summarizeReviews([{ tuple: [7, 7] }, { tuple: [7, 7] }], { resamples: 100 }).categories[0];
  assert.deepEqual(same.relativeScoreCI, [100, 100]);
  assert.deepEqual([same.wins, same.ties, same.losses], [0, 2, 0]);
  assertClose(same.winRateCI![0], 9.453120573423075, 1e-8, 'Wilson low (ties)');
  assertClose(same.winRateCI![1], 90.54687942657694, 1e-8, 'Wilson high (ties)');
  assert.match(formatReviewsSummary('t', summarizeReviews([{ tuple: [7, 7] }, { tuple: [6, 7] }])), /1\/1\/0/);
});

test('reading review files: ours, LLaVA\'s, failures and bad lines', () => {
  const dir = tempDir();
  const p = join(dir, 'r.jsonl');
  writeFileSync(p, [
    JSON.stringify({ question_id: 0, category: 'conv', tuple: [8, 7], content: '8 7\n…' }),
    JSON.stringify({ question_id: 1, category: 'conv', tuple: null, error: 'unparsable' }),
    JSON.stringify({ question_id: 2, category: 'detail', tuple: [-1, -1], content: 'error' }),
    JSON.stringify({ question_id: 3, score: [6, 8] }),
    '{"question_id": 4, "tup',
  ].join('\n'));
  const r = readReviewFile(p);
  assert.equal(r.torn, true);
  assert.deepEqual(r.reviews, [
    { id: '0', category: 'conv', tuple: [8, 7] },
    { id: '1', category: 'conv', tuple: null },
    { id: '2', category: 'detail', tuple: null },
    { id: '3', category: undefined, tuple: [6, 8] },
  ]);
  const s = summarizeReviews(r.reviews, { resamples: 0 });
  assert.deepEqual(s.categories.map((c) => [c.category, c.n, c.failed]), [['all', 2, 2], ['conv', 1, 1], ['detail', 0, 1]]);
  const table = formatReviewsSummary('r.jsonl', s);
  assert.match(table, /^r\.jsonl\ncategory/);
  assert.match(table, /detail\s+0\s+1\s+—/);

  writeFileSync(p, `${JSON.stringify({ question_id: 0, tuple: [1, 2, 3] })}\n{}\n`);
  assert.throws(() => readReviewFile(p), (e: unknown) => e instanceof InputError && /line 1: "tuple" must be two numbers/.test(e.message));
});
