import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectScenarios } from '../../src/cli/shift.js';
import { loadDataset } from '../../src/data/load.js';
import { parseScenario } from '../../src/data/scenarios.js';
import { UsageError } from '../../src/errors.js';
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
