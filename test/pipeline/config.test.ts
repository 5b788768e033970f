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
  assert.equal(c.data.id, join(dir, 'data/coco'));
  assert.deepEqual(c.references, { source: 'dataset' });
  assert.equal(c.model.concurrency, 4);
  assert.equal(c.analysis.bootstrap, 200);
  assert.equal(c.encoders.kind, 'auto');
  assert.ok('checkpoint' in c.estimator && c.estimator.checkpoint === join(dir, 'CLUB_global.pt'));
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
