import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { naturalGrid, parseScenario, syntheticGrid } from '../../src/data/scenarios.js';
import { InputError } from '../../src/errors.js';

import { needsOfficial, officialPath } from '../helpers/official.js';

const SYNTHETIC_RESULTS = 'results/pairs-SYNTHETIC-ALL-llava-v1.5-13b-CLUB_global.json';
const NATURAL_RESULTS = 'results/pairs-NATURAL-ALL-llava-v1.6-vicuna-13b-CLUB_global.json';
const ANSWERS = 'responses/llava_bench_coco_llava-v1.5-13b.jsonl';

function emiKeys(file: string): string[] {
  return Object.keys(JSON.parse(readFileSync(officialPath(file), 'utf8')).EMI);
}

test('synthetic grid: 35 names, 1 ID + 6 visual + 4 text + 24 joint', () => {
  const g = syntheticGrid();
  assert.equal(g.length, 35);
  assert.equal(g[0].name, 'llava_bench_coco');
  assert.equal(g.filter((s) => s.modality === 'none').length, 1);
  assert.equal(g.filter((s) => s.modality === 'visual').length, 6);
  assert.equal(g.filter((s) => s.modality === 'text').length, 4);
  assert.equal(g.filter((s) => s.modality === 'joint').length, 24);
});

test('synthetic grid: exactly the authors\' result keys in their order, and an answer file of theirs for each', needsOfficial(SYNTHETIC_RESULTS, ANSWERS), () => {
  const g = syntheticGrid();
  assert.deepEqual(g.map((s) => s.name), emiKeys(SYNTHETIC_RESULTS));
  // every synthetic scenario has an answer file named {scenario}_{model}.jsonl
  const files = new Set(readdirSync(officialPath('responses')));
  for (const s of g) assert.ok(files.has(`${s.name}_llava-v1.5-13b.jsonl`), s.name);
});

test('natural grid: 28 names, in-the-wild is joint', () => {
  const g = naturalGrid();
  assert.equal(g.length, 28);
  assert.equal(g[0].modality, 'none');
  assert.deepEqual(g[0].text, { kind: 'translate', language: 'English' });
  assert.equal(g[1].modality, 'text');
  assert.ok(g.slice(7).every((s) => s.modality === 'joint' && s.base === 'llava_bench_in_the_wild'));
  assert.deepEqual(g.slice(7).map((s) => s.split), [...Array(7).fill('easy'), ...Array(7).fill('normal'), ...Array(7).fill('hard')]);
});

test('natural grid: exactly the authors\' result keys in their order', needsOfficial(NATURAL_RESULTS), () => {
  assert.deepEqual(naturalGrid().map((s) => s.name), emiKeys(NATURAL_RESULTS));
});

test('parseScenario: parts, severities and errors', () => {
  assert.deepEqual(parseScenario('llava_bench_coco_defocus_blur_3_sr_7'), {
    name: 'llava_bench_coco_defocus_blur_3_sr_7',
    base: 'llava_bench_coco',
    image: { kind: 'defocus_blur', severity: 3 },
    text: { kind: 'sr', level: 7 },
    modality: 'joint',
    severity: { visual: 3, text: 7 },
  });
  assert.deepEqual(parseScenario('llava_bench_coco_jpeg_compression_5').image, { kind: 'jpeg_compression', severity: 5 });
  assert.deepEqual(parseScenario('llava_bench_coco_CharSwap_2').text, { kind: 'CharSwap', level: 2 });
  assert.equal(parseScenario('llava_bench_in_the_wild_hard_Korean').split, 'hard');
  assert.throws(() => parseScenario('coco_frost_1'), InputError);
  assert.throws(() => parseScenario('llava_bench_coco_frost_6'), /cannot parse "_frost_6"/);
  assert.throws(() => parseScenario('llava_bench_coco_sr_0'), /text level 0 out of range/);
  assert.throws(() => parseScenario('llava_bench_coco_blur_2'), /cannot parse/);
});
