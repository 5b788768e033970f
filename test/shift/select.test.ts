import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectScenarios, wildSource, type ShiftCliOptions } from '../../src/cli/shift.js';
import { loadDataset } from '../../src/data/load.js';
import { parseScenario } from '../../src/data/scenarios.js';
import { InputError, UsageError } from '../../src/errors.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { generateShifts } from '../../src/shift/generate.js';
import { writeFixture } from './fixture.js';

test('selectScenarios: grids, subsets, custom names, and usage errors', () => {
  assert.equal(selectScenarios('synthetic', undefined).length, 35);
  assert.equal(selectScenarios('natural', undefined).length, 28);
  assert.deepEqual(selectScenarios('natural', 'llava_bench_coco_Greek, llava_bench_coco_English').map((s) => s.name), ['llava_bench_coco_English', 'llava_bench_coco_Greek']);
  assert.deepEqual(selectScenarios('custom', 'llava_bench_coco_fog_4_CharInsert_2').map((s) => s.name), ['llava_bench_coco_fog_4_CharInsert_2']);
  assert.throws(() => selectScenarios('synthetic', 'llava_bench_coco_German'), (e: Error) => e instanceof UsageError && /not in the synthetic grid/.test(e.message));
  assert.throws(() => selectScenarios('custom', undefined), /--grid custom needs --scenarios/);
  assert.throws(() => selectScenarios('custom', 'llava_bench_coco_blur_9'), (e: Error) => e instanceof UsageError && /cannot parse "_blur_9"/.test(e.message));
});

test('generateShifts refuses scenarios it has no input for', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-sel-'));
  try {
    await writeFixture(join(dir, 'coco'), { n: 1 });
    const samples = await loadDataset(join(dir, 'coco'));
    const run = (name: string) => generateShifts({ source: { samples, label: 'coco' }, scenarios: [parseScenario(name)], grid: 'natural', outDir: join(dir, 'out'), seed: 0, workers: 0 });
    await assert.rejects(run('llava_bench_in_the_wild_easy_English'), (e: Error) => e instanceof UsageError && /needs the in-the-wild data set/.test(e.message));
    await assert.rejects(run('llava_bench_coco_German'), (e: Error) => e instanceof UsageError && /needs a translation endpoint/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('easy/hard halves of the in-the-wild set: from index lists or by embedding distance to the ID set', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-wild-'));
  try {
    const wild = join(dir, 'wild');
    await writeFixture(wild, { n: 6, wild: true });
    const base: ShiftCliOptions = { dataset: 'x', out: 'y', grid: 'natural', seed: '0', splitIndexVariant: 'fst_cd_new', splitReference: 'centroid', quality: '95', concurrency: '1', timeout: '1', maxRetries: '0', retryDelay: '0', wildDataset: wild };
    const scen = selectScenarios('natural', 'llava_bench_in_the_wild_easy_English,llava_bench_in_the_wild_hard_English');
    // embeddings: ID along e1; wild row i at angle 0.2·(5 − i) from it, so rows 5, 4, 3 are nearest
    const d = 4;
    const xv = new Float32Array(6 * d);
    for (let i = 0; i < 6; i++) {
      xv[i * d] = Math.cos(0.2 * (5 - i));
      xv[i * d + 1] = Math.sin(0.2 * (5 - i));
    }
    writeSafetensors(join(dir, 'wild.safetensors'), { x_v: { shape: [6, d], data: xv }, x_t: { shape: [6, d], data: xv } });
    const id = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0]);
    writeSafetensors(join(dir, 'id.safetensors'), { x_v: { shape: [2, d], data: id }, x_t: { shape: [2, d], data: id } });
    const byEmb = (await wildSource({ ...base, splitEmbeddings: join(dir, 'wild.safetensors'), idEmbeddings: join(dir, 'id.safetensors') }, scen))!;
    assert.deepEqual(byEmb.easy, ['5', '4', '3']);
    assert.deepEqual(byEmb.hard, ['2', '1', '0']);
    assert.equal(byEmb.splitRule.reference, 'centroid');
    writeFileSync(join(dir, 'idx.json'), JSON.stringify({ easy_ood_lst_cd_new: [0, 2, 4], hard_ood_lst_cd_new: [1, 3, 5] }));
    const byIdx = (await wildSource({ ...base, splitIndex: join(dir, 'idx.json'), splitIndexVariant: 'lst_cd_new' }, scen))!;
    assert.deepEqual([byIdx.easy, byIdx.hard], [['0', '2', '4'], ['1', '3', '5']]);
    writeFileSync(join(dir, 'idx.json'), JSON.stringify({ easy_ood_fst_cd_new: [0, 9], hard_ood_fst_cd_new: [1] }));
    await assert.rejects(wildSource({ ...base, splitIndex: join(dir, 'idx.json') }, scen), (e: Error) => e instanceof InputError && /easy index 9 is not a sample id/.test(e.message));
    await assert.rejects(wildSource(base, scen), (e: Error) => e instanceof UsageError && /need --split-index FILE, or --split-embeddings/.test(e.message));
    assert.equal(await wildSource(base, selectScenarios('natural', 'llava_bench_coco_German')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
