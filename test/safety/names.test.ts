/**
 * Issue 13: a name that becomes a path (a run config's OOD key or scenario name) cannot write
 * outside the output folder: `../../x` is refused with exit 2 before anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { assertSafeName, unsafeNameReason } from '../../src/data/names.js';
import { InputError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { makeDatasetDir } from '../llm/helpers.js';

test('unsafe names: separators, dot-dot, absolute paths, leading dot or dash, empty', () => {
  for (const bad of ['../../x', 'a/b', 'a\\b', '/etc/x', '..', '.hidden', '-rf', '', 'x'.repeat(201), 'a\0b']) {
    assert.notEqual(unsafeNameReason(bad), undefined, JSON.stringify(bad));
    assert.throws(() => assertSafeName(bad, 'data.ood'), (e: Error) => e instanceof InputError && e.message.startsWith('data.ood: '));
  }
  for (const ok of ['llava_bench_coco', 'llava_bench_coco_defocus_blur_3_sr_4', 'set.v2', '_x', 'A-1']) assert.equal(unsafeNameReason(ok), undefined, ok);
});

test('run: an OOD key "../../x" is refused with exit 2 and nothing is written', async () => {
  const dir = tempDir();
  const work = join(dir, 'a', 'b');
  mkdirSync(work, { recursive: true });
  await makeDatasetDir(join(work, 'coco'), 3);
  for (const ood of [{ '../../escaped': 'coco' }, { ok: 'coco' }]) {
    const scenarios = 'ok' in ood ? { names: ['../../escaped2'] } : undefined;
    const cfg = join(work, 'run.yaml');
    writeFileSync(cfg, stringify({
      name: 'names', out: 'out', data: { id: 'coco', ood, ...(scenarios ? { scenarios } : {}) },
      model: { name: 'm', base_url: 'http://127.0.0.1:9/v1' }, encoders: { kind: 'builtin' }, estimator: { train: { epochs: 1 } },
    }));
    const r = runCli(['run', cfg]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /run\.yaml: data\.(ood|scenarios\.names\.0).*cannot be used as a file name/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(existsSync(join(work, 'out')), false);
    assert.deepEqual(readdirSync(dir), ['a']);
  }
});
