import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunConfig, validateRunConfig } from '../../src/pipeline/config.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const minimal = {
  name: 'study one',
  data: { id: 'data/coco', scenarios: { grid: 'synthetic' } },
  model: { name: 'llava-v1.5-13b', base_url: 'http://127.0.0.1:8000/v1' },
  estimator: { checkpoint: 'CLUB_global.pt' },
};

test('a minimal config gets its defaults and absolute paths', () => {
  const c = validateRunConfig(minimal, join(dir, 'study.yaml'));
  assert.equal(c.outDir, join(dir, 'study_one'));
  assert.deepEqual(c.data.id, { path: join(dir, 'data/coco') });
  assert.deepEqual(c.references, { source: 'dataset' });
  assert.equal(c.model.concurrency, 4);
  assert.equal(c.analysis.bootstrap, 200);
  assert.equal(c.encoders.kind, 'auto');
  assert.ok('checkpoint' in c.estimator && c.estimator.checkpoint === join(dir, 'CLUB_global.pt'));
});

test('parquet splits per scenario, the in-the-wild set and split, translation, judge protocol and the paper estimator', () => {
  const c = validateRunConfig({
    ...minimal,
    data: {
      id: { parquet: 'hf/natural', split: 'llava_bench_coco_English' }, id_name: 'llava_bench_coco_English', scenarios: { grid: 'natural' },
      wild: 'data/wild', wild_split: { index: 'paper' }, ood: { extra: { parquet: 'hf/other', split: 'x' } },
    },
    translation: { name: 'gpt-4o', base_url: 'http://127.0.0.1:1/v1', cache: 'tr.json' },
    judge: { ...minimal.model, protocol: 'llava-bench' },
    estimator: { checkpoint: 'paper' },
  }, join(dir, 'study.yaml'));
  assert.deepEqual(c.data.id, { path: join(dir, 'hf/natural'), split: 'llava_bench_coco_English' });
  assert.deepEqual(c.data.ood.extra, { path: join(dir, 'hf/other'), split: 'x' });
  assert.deepEqual(c.data.wild, { path: join(dir, 'data/wild') });
  assert.deepEqual(c.data.wild_split, { index: 'paper', variant: 'fst_cd_new' });
  assert.equal(c.translation?.cache, join(dir, 'tr.json'));
  assert.equal(c.judge?.protocol, 'llava-bench');
  assert.ok('checkpoint' in c.estimator && c.estimator.checkpoint === 'paper');
  const folder = validateRunConfig({ ...minimal, data: { parquet: 'hf', id_name: 'llava_bench_coco', scenarios: { names: ['llava_bench_coco_sr_4'] } } }, join(dir, 'study.yaml'));
  assert.deepEqual(folder.data.id, { path: join(dir, 'hf'), split: 'llava_bench_coco' });
});

test('errors name the file and the field', () => {
  const bad = (value: unknown, re: RegExp): void => {
    assert.throws(() => validateRunConfig(value, 'cfg.yaml'), (e: unknown) => e instanceof ConfigError && e.message.startsWith('cfg.yaml: ') && re.test(e.message));
  };
  bad({ ...minimal, model: { name: 'm', base_url: 'not a url' } }, /model\.base_url/);
  bad({ ...minimal, model: { ...minimal.model, concurrency: 0 } }, /model\.concurrency/);
  bad({ ...minimal, estimator: {} }, /estimator/);
  bad({ ...minimal, analysis: { bound: 'tight' } }, /analysis\.bound/);
  bad({ ...minimal, surprise: 1 }, /surprise|Unrecognized/);
  bad({ ...minimal, data: { id: 'x' } }, /give OOD scenarios/);
  bad({ ...minimal, data: { scenarios: { grid: 'natural' } } }, /data\.id: required \(or give data\.parquet/);
  bad({ ...minimal, data: { id: { parquet: 'p' } } }, /data\.id/);
  bad({ ...minimal, translation: { name: 'gpt' } }, /translation: give both name and base_url/);
  bad({ ...minimal, judge: { ...minimal.model, rules: 'rule.json' } }, /judge\.rules needs judge\.system_prompt/);
  bad({ ...minimal, data: { ...minimal.data, wild_split: { index: 'x', distance: 'centroid' } } }, /data\.wild_split/);
  const p = join(dir, 'broken.yaml');
  writeFileSync(p, 'name: [unclosed\n');
  assert.throws(() => loadRunConfig(p), /not valid YAML/);
  assert.throws(() => loadRunConfig(join(dir, 'none.yaml')), /file not found/);
});

test('the annotated example config validates', () => {
  const c = loadRunConfig(new URL('../../examples/run.yaml', import.meta.url).pathname);
  assert.equal(c.name, 'llava-1.5-13b-synthetic');
  assert.ok(c.judge !== undefined);
});
