import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parquetWriteFile } from 'hyparquet-writer';
import { readDatasetDir, readDatasetManifest } from '../../src/data/dataset-dir.js';
import { loadDataset } from '../../src/data/load.js';
import { parseScenario, syntheticGrid } from '../../src/data/scenarios.js';
import { generateShifts } from '../../src/shift/generate.js';
import { readTree, writeFixture } from './fixture.js';

let root: string;
let src: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'mllmshift-gen-'));
  src = join(root, 'coco');
  await writeFixture(src, { n: 6, pngEvery: 3 });
});
after(() => rmSync(root, { recursive: true, force: true }));

const SCENARIOS = ['llava_bench_coco', 'llava_bench_coco_sr_4', 'llava_bench_coco_frost_3_sr_4', 'llava_bench_coco_defocus_blur_5_KeyboardAug_1', 'llava_bench_coco_gaussian_noise_2', 'llava_bench_coco_pixelate_5_CharSwap_2'];

test('writes one dataset directory per scenario: names, sizes, formats, questions, manifests', async () => {
  const out = join(root, 'out-a');
  const samples = await loadDataset(src);
  const res = await generateShifts({ source: { samples, label: 'coco' }, scenarios: SCENARIOS.map(parseScenario), grid: 'custom', outDir: out, seed: 3, workers: 0 });
  assert.deepEqual(res.scenarios.map((s) => s.name), SCENARIOS);
  assert.equal(res.imagesCorrupted, 6 * 4);
  const id = readDatasetDir(join(out, 'llava_bench_coco'));
  // the ID set keeps the source image bytes exactly
  for (const [i, s] of id.entries()) {
    assert.ok(readFileSync(s.image.kind === 'file' ? s.image.path : '').equals(readFileSync(samples[i].image.kind === 'file' ? samples[i].image.path : '')));
    assert.equal(s.question, samples[i].question);
    assert.equal(s.referenceAnswer, samples[i].referenceAnswer);
    assert.equal(s.category, samples[i].category);
  }
  const frost = readDatasetDir(join(out, 'llava_bench_coco_frost_3_sr_4'));
  const sr = readDatasetDir(join(out, 'llava_bench_coco_sr_4'));
  for (const [i, s] of frost.entries()) {
    // the same perturbed question under every image corruption
    assert.equal(s.question, sr[i].question);
    assert.notEqual(s.question, samples[i].question);
    // size and format kept, pixels changed
    const path = s.image.kind === 'file' ? s.image.path : '';
    const meta = await sharp(path).metadata();
    assert.deepEqual([meta.width, meta.height, meta.format], [64, 48, i % 3 === 2 ? 'png' : 'jpeg']);
    assert.ok(path.endsWith(i % 3 === 2 ? '.png' : '.jpg'));
    assert.ok(!readFileSync(path).equals(readFileSync(id[i].image.kind === 'file' ? id[i].image.path : '')));
  }
  const m = readDatasetManifest(join(out, 'llava_bench_coco_defocus_blur_5_KeyboardAug_1'))!;
  assert.equal(m.name, 'llava_bench_coco_defocus_blur_5_KeyboardAug_1');
  assert.equal(m.seed, 3);
  assert.equal(m.modality, 'joint');
  assert.deepEqual(m.image_shift, { kind: 'defocus_blur', severity: 5, params: [10, 0.5], definition: 'ImageNet-C (Hendrycks & Dietterich 2019), imagecorruptions constants', output_quality: 95 });
  assert.equal((m.text_shift as { rate: number }).rate, 0.05);
  assert.deepEqual(m.sample_ids, ['0', '1', '2', '3', '4', '5']);
  const frostShift = readDatasetManifest(join(out, 'llava_bench_coco_frost_3_sr_4'))!.image_shift as { frost_textures: string };
  assert.equal(frostShift.frost_textures, 'procedural');
  const grid = JSON.parse(readFileSync(join(out, 'grid.json'), 'utf8'));
  assert.equal(grid.scenarios.length, SCENARIOS.length);
});

test('same inputs and seed give the same bytes, in this thread or in worker threads; another seed differs', async () => {
  const samples = await loadDataset(src);
  const scenarios = SCENARIOS.map(parseScenario);
  const run = async (name: string, seed: number, workers: number) => {
    const out = join(root, name);
    await generateShifts({ source: { samples, label: 'coco' }, scenarios, grid: 'custom', outDir: out, seed, workers });
    return readTree(out);
  };
  const a = await run('det-a', 11, 0);
  const b = await run('det-b', 11, 2);
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${k} differs between runs`);
  const c = await run('det-c', 12, 0);
  const differing = [...a.keys()].filter((k) => !a.get(k)!.equals(c.get(k)!));
  assert.ok(differing.some((k) => k.includes('gaussian_noise_2/images/')), 'noise depends on the seed');
  assert.ok(differing.some((k) => k.endsWith('llava_bench_coco_sr_4/samples.jsonl')), 'text perturbations depend on the seed');
  assert.ok(!differing.some((k) => k.startsWith('llava_bench_coco/images/')), 'ID images never change');
});

test('the synthetic grid writes all 35 sets named as the paper', async () => {
  const out = join(root, 'grid');
  const samples = (await loadDataset(src)).slice(0, 2);
  const res = await generateShifts({ source: { samples, label: 'coco' }, scenarios: syntheticGrid(), grid: 'synthetic', outDir: out, seed: 0, workers: 0 });
  assert.equal(res.scenarios.length, 35);
  assert.ok(res.scenarios.every((s) => s.samples === 2));
  assert.equal(res.imagesCorrupted, 2 * 6);
  assert.equal(readDatasetDir(join(out, 'llava_bench_coco_defocus_blur_3_sr_7')).length, 2);
});

test('a parquet source (image bytes in memory) shifts the same way: names from image.path, format and size kept', async () => {
  const jpgs = await Promise.all([1, 2].map((k) => sharp({ create: { width: 40 + k, height: 30, channels: 3, background: { r: 90 * k, g: 60, b: 30 } } }).jpeg().toBuffer()));
  const file = join(root, 'x.parquet');
  await parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'image', data: jpgs.map((b, k) => ({ bytes: new Uint8Array(b), path: `img_${k}.jpg` })) },
      { name: 'question', data: ['What is in the image?', 'Describe the scene in detail.'] },
      { name: 'reference_answer', data: ['A thing.', 'A scene.'] },
    ],
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'image', num_children: 2, repetition_type: 'OPTIONAL' },
      { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
      { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'question', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'reference_answer', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    ],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  } as any);
  const out = join(root, 'from-parquet');
  await generateShifts({ source: { samples: await loadDataset(file), label: file }, scenarios: [parseScenario('llava_bench_coco_brightness_2_sr_4')], grid: 'custom', outDir: out, seed: 0, workers: 0 });
  const got = readDatasetDir(join(out, 'llava_bench_coco_brightness_2_sr_4'));
  assert.deepEqual(got.map((s) => s.id), ['0', '1']);
  for (const [k, s] of got.entries()) {
    const path = s.image.kind === 'file' ? s.image.path : '';
    assert.ok(path.endsWith(`images/img_${k}.jpg`));
    const meta = await sharp(path).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 41 + k, 30]);
    assert.equal(s.referenceAnswer, ['A thing.', 'A scene.'][k]);
  }
});
