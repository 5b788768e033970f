import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fileSystemError, InputError, RunError } from '../../src/errors.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

function errno(code: string, path: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, ${syscall} '${path}'`), { code, path, syscall });
}

test('file-system errors with a path become one-line user errors: a path to fix exits 2, a full disk 1', () => {
  const notDir = fileSystemError(errno('ENOTDIR', '/x/out/data', 'mkdir'));
  assert.ok(notDir instanceof InputError);
  assert.equal(notDir.message, '/x/out/data: a file stands where a folder is needed (mkdir); check the path');
  const full = fileSystemError(errno('ENOSPC', '/x/out/samples.jsonl', 'write'));
  assert.ok(full instanceof RunError);
  assert.equal(full.exitCode, 1);
  assert.match(full.message, /^\/x\/out\/samples\.jsonl: no space left on the device/);
  assert.match(fileSystemError(errno('EEXIST', '/x/demo', 'mkdir'))!.message, /^\/x\/demo: a file stands where a folder is needed/);
  assert.equal(fileSystemError(new Error('plain')), undefined);
  assert.equal(fileSystemError(Object.assign(new Error('no path'), { code: 'ENOENT' })), undefined);
});

test('run: `out:` pointing at a file exits 2 with one line naming the path, not an internal error', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'notadir'), 'a file\n');
  mkdirSync(join(dir, 'd'));
  writeFileSync(join(dir, 'd', 'samples.jsonl'), `${JSON.stringify({ id: 'a', image: 'x.png', question: 'q?', reference: 'r' })}\n`);
  const cfg = join(dir, 'run.yaml');
  writeFileSync(cfg, stringify({
    name: 't', out: 'notadir',
    data: { id: 'd', id_name: 'llava_bench_coco', scenarios: { names: ['llava_bench_coco'] } },
    model: { name: 'm', base_url: 'http://127.0.0.1:9/v1' },
    encoders: { kind: 'builtin' },
    estimator: { train: { epochs: 1 } },
  }));
  const r = await runCliAsync(['run', cfg]);
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /notadir/);
  assert.doesNotMatch(lines[0], /internal error/);
});

test('demo: --out naming an existing file exits 2 with one line naming it', () => {
  const dir = tempDir();
  const file = join(dir, 'taken');
  writeFileSync(file, 'a file\n');
  const r = runCli(['demo', '--out', file, '--scenes', '2']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim(), `mllmshift: ${file}: a file stands where a folder is needed (mkdir); check the path`);
});
