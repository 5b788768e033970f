import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correlationCi95 } from '../../src/core/stats.js';
import { inPaperOrder } from '../../src/data/scenarios.js';
import { boundLooseness, placeLabels, shortLabel } from '../../src/report/plots.js';
import { makeRunResults } from './report-fixture.js';

test('correlationCi95: Fisher-z intervals equal scipy-computed values to 1e-12 (Pearson; Spearman with Bonett–Wright se)', () => {
  // tanh(atanh(r) ± norm.ppf(0.975)·se), computed with Python/scipy at test-writing time.
  const cases: [number, number, 'pearson' | 'spearman', number, number][] = [
    [0.5, 28, 'pearson', 0.15602836252908595, 0.7358184794439376],
    [0.876273484894562, 27, 'pearson', 0.744012988972825, 0.9424539142746133],
    [-0.3, 34, 'spearman', -0.5845671741129337, 0.05029114938604996],
    [0.7, 10, 'spearman', 0.040700213299637536, 0.9346394057899298],
  ];
  for (const [r, n, kind, lo, hi] of cases) {
    const ci = correlationCi95(r, n, kind) as [number, number];
    assert.ok(Math.abs(ci[0] - lo) < 1e-12 && Math.abs(ci[1] - hi) < 1e-12, `${kind} r=${r} n=${n}: [${ci}] vs [${lo}, ${hi}]`);
  }
  assert.equal(correlationCi95(0.5, 3, 'pearson'), null);
  assert.deepEqual(correlationCi95(1, 10, 'pearson'), [1, 1]);
});

test('inPaperOrder: grid order (severity ascending, languages as the paper lists them), unknown names last in their order', () => {
  const names = ['custom_b', 'llava_bench_coco_frost_1', 'llava_bench_in_the_wild_hard_German', 'custom_a', 'llava_bench_coco_sr_4', 'llava_bench_coco_defocus_blur_5', 'llava_bench_coco_defocus_blur_1', 'llava_bench_in_the_wild_easy_Hindi', 'llava_bench_in_the_wild_easy_Korean'];
  assert.deepEqual(inPaperOrder(names, (n) => n), [
    'llava_bench_coco_sr_4', 'llava_bench_coco_defocus_blur_1', 'llava_bench_coco_defocus_blur_5', 'llava_bench_coco_frost_1',
    'llava_bench_in_the_wild_easy_Korean', 'llava_bench_in_the_wild_easy_Hindi', 'llava_bench_in_the_wild_hard_German', 'custom_b', 'custom_a',
  ]);
});

test('placeLabels: right first, then left/above/below; a label with no free place is dropped; labels stay in the frame', () => {
  const frame = { x0: 0, x1: 200, y0: 0, y1: 100 };
  assert.deepEqual(placeLabels([{ px: 50, py: 50, label: 'AB' }], frame), ['right']);
  // Near the right edge: left.
  assert.deepEqual(placeLabels([{ px: 195, py: 50, label: 'ABCD' }], frame), ['left']);
  // Two points 1 px apart: the second one's right is taken by the first label, it goes left.
  assert.deepEqual(placeLabels([{ px: 100, py: 50, label: 'AAAA' }, { px: 100, py: 51, label: 'BBBB' }], frame), ['right', 'left']);
  // A label may not cover another point: the right of (100, 50) holds the dot at (115, 50).
  assert.deepEqual(placeLabels([{ px: 100, py: 50, label: 'AAAA' }, { px: 115, py: 50, label: 'B' }], frame), ['left', 'right']);
  // Five points on one spot: four places, the fifth label is left out.
  const stack = Array.from({ length: 5 }, (_, i) => ({ px: 100, py: 50, label: `P${i}` }));
  assert.deepEqual(placeLabels(stack, frame), ['right', 'left', 'above', 'below', null]);
});

test('shortLabel and boundLooseness', () => {
  const r = makeRunResults();
  const by = (n: string) => r.scenarios.find((s) => s.name === n)!;
  assert.equal(shortLabel(by('llava_bench_coco'), 'synthetic'), 'ID');
  assert.equal(shortLabel(by('llava_bench_coco_defocus_blur_3_sr_7'), 'synthetic'), 'DB3+SR7');
  assert.equal(shortLabel(by('llava_bench_coco_frost_5_KeyboardAug_1'), 'synthetic'), 'FR5+KB1');
  const wild = { ...by('llava_bench_coco'), modality: 'joint' as const, visualShift: 'in_the_wild_hard', textShift: 'Korean', textSeverity: null };
  assert.equal(shortLabel(wild, 'natural'), 'hard·ko');
  assert.equal(shortLabel({ ...wild, visualShift: null, textShift: 'Greek' }, 'natural'), 'coco·el');
  const ratios = r.scenarios.filter((s) => s.emid !== null).map((s) => (s.bound as number) / Math.abs(s.emid as number)).sort((a, b) => a - b);
  const l = boundLooseness(r)!;
  assert.equal(l.n, 34);
  assert.equal(l.median, (ratios[16] + ratios[17]) / 2);
  assert.equal(l.min, ratios[0]);
  assert.equal(l.max, ratios[33]);
});
