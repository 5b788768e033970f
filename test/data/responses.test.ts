import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarioResponses, matchResponses, readAnswerFile, readSplitIndices, responseFileName } from '../../src/data/responses.js';
import type { Sample } from '../../src/data/sample.js';
import { needsOfficial, officialPath } from '../helpers/official.js';

const RESPONSES = officialPath('responses');
const FILES = ['llava_bench_coco_sr_4_llava-v1.5-13b.jsonl', 'llava_bench_in_the_wild_Korean_llava-v1.5-13b.jsonl', 'lbwild_split_idx.json'].map((f) => `responses/${f}`);

test('authors\' answer file names: in-the-wild has no _easy/_normal/_hard part', () => {
  assert.equal(responseFileName('llava_bench_coco_frost_5_sr_4', 'llava-v1.5-13b'), 'llava_bench_coco_frost_5_sr_4_llava-v1.5-13b.jsonl');
  assert.equal(responseFileName('llava_bench_in_the_wild_hard_Korean', 'llava-v1.5-13b'), 'llava_bench_in_the_wild_Korean_llava-v1.5-13b.jsonl');
});

test('authors\' answer files: 90 COCO rows, in-the-wild halves by index list', needsOfficial(...FILES), () => {
  const coco = loadScenarioResponses(RESPONSES, 'llava_bench_coco_sr_4', 'llava-v1.5-13b');
  assert.equal(coco.length, 90);
  assert.equal(coco[0].questionId, '0');
  assert.equal(coco[0].modelId, 'llava-v1.5-13b');
  const easy = loadScenarioResponses(RESPONSES, 'llava_bench_in_the_wild_easy_Korean', 'llava-v1.5-13b');
  const hard = loadScenarioResponses(RESPONSES, 'llava_bench_in_the_wild_hard_Korean', 'llava-v1.5-13b');
  const normal = loadScenarioResponses(RESPONSES, 'llava_bench_in_the_wild_normal_Korean', 'llava-v1.5-13b');
  assert.equal(easy.length, 30);
  assert.equal(hard.length, 30);
  assert.equal(normal.length, 60);
  const idx = readSplitIndices(join(RESPONSES, 'lbwild_split_idx.json'), 'hard');
  assert.deepEqual(hard.map((r) => Number(r.questionId)), idx);
  // the two halves are complementary
  assert.deepEqual([...easy, ...hard].map((r) => Number(r.questionId)).sort((a, b) => a - b), [...Array(60).keys()]);
  assert.ok(hard[0].prompt?.endsWith(' Please answer in English.'));
});

test('matchResponses orders by sample id and names missing ids; bad lines give file:line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-resp-'));
  try {
    const f = join(dir, 'a.jsonl');
    writeFileSync(f, '{"question_id": 1, "text": "one"}\n{"question_id": 0, "text": "zero"}\n');
    const rows = readAnswerFile(f);
    const s = (id: string): Sample => ({ id, image: { kind: 'file', path: 'x' }, question: 'q' });
    assert.deepEqual(matchResponses([s('0'), s('1')], rows, f).map((r) => r.text), ['zero', 'one']);
    assert.throws(() => matchResponses([s('0'), s('5')], rows, f), { message: `${f}: no response for 1 sample(s) (question_id 5)` });
    writeFileSync(f, '{"question_id": 1, "text": "one"}\n{"question_id": 1, "text": "again"}\n');
    assert.throws(() => readAnswerFile(f), { message: `${f}:2: duplicate question_id 1 (first on line 1)` });
    writeFileSync(f, '{"question_id": 1}\n');
    assert.throws(() => readAnswerFile(f), { message: `${f}:1: missing field "text"` });
    writeFileSync(join(dir, 'idx.json'), '{"easy_ood_fst_cd_new": [1, 1]}');
    assert.throws(() => readSplitIndices(join(dir, 'idx.json'), 'easy'), /repeats an index/);
    assert.throws(() => readSplitIndices(join(dir, 'idx.json'), 'hard'), /key "hard_ood_fst_cd_new" must be an array/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
