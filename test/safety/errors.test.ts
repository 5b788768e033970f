/**
 * Issue 13, "unclear errors": bad input that was an internal error is exit 2 with one line
 * naming the path; a long Retry-After is capped and said on stderr; a dead endpoint says what
 * it is doing while it retries.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeEmbeddingSet } from '../../src/io/embedding-set.js';
import { fileWriteError } from '../../src/io/atomic-write.js';
import { InputError, RunError } from '../../src/errors.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { startFakeServer } from '../llm/fake-server.js';
import { makeDatasetDir } from '../llm/helpers.js';

const dir = tempDir();
const oneLine = (stderr: string) => stderr.trim().split('\n').filter((l) => l.startsWith('mllmshift:'));

test('demo --scenes 0 is refused (it silently ran 2 scenes)', () => {
  const r = runCli(['demo', '--scenes', '0', '--out', join(dir, 'demo')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--scenes must be at least 2/);
});

test('train-estimator --val-fraction 0.99 on a small set is exit 2 naming the file, not an internal error', () => {
  const n = 10;
  const d = 4;
  const m = () => ({ rows: n, cols: d, data: Float32Array.from({ length: n * d }, (_, k) => Math.sin(k + 1)) });
  const set = join(dir, 'small.safetensors');
  writeEmbeddingSet(set, { xv: m(), xt: m(), yHat: m(), y: m(), scenario: 'small', sampleIds: [], encoders: {} });
  const r = runCli(['train-estimator', set, '--out', join(dir, 'e.safetensors'), '--val-fraction', '0.99', '--epochs', '1']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^mllmshift: training on .*small\.safetensors: .*rows/m);
  assert.doesNotMatch(r.stderr, /internal error/);
});

test('a write that fails names its file: a full disk is exit 1, a folder in the way exit 2', () => {
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const e1 = fileWriteError('/out/samples.jsonl', full) as Error;
  assert.ok(e1 instanceof RunError);
  assert.equal(e1.message, 'cannot write /out/samples.jsonl (ENOSPC: no space left on device); nothing was replaced');
  const e2 = fileWriteError('/out/x', Object.assign(new Error('EISDIR: illegal operation on a directory, open'), { code: 'EISDIR' }));
  assert.ok(e2 instanceof InputError);
  const existing = join(dir, 'is-a-folder.safetensors');
  mkdirSync(existing);
  const m = { rows: 2, cols: 2, data: new Float32Array([1, 0, 0, 1]) };
  assert.throws(() => writeEmbeddingSet(existing, { xv: m, xt: m, yHat: m, y: m, scenario: 's', sampleIds: [], encoders: {} }),
    (e: Error) => e instanceof InputError && e.message.includes(existing));
});

test('Retry-After: 100000 is capped, and stderr says so and names the endpoint', async () => {
  let n = 0;
  const server = await startFakeServer(() => (n++ === 0 ? { kind: 'error', status: 429, headers: { 'retry-after': '100000' } } : { kind: 'text', text: 'ok' }));
  after(() => server.close());
  const data = join(dir, 'data');
  await makeDatasetDir(data, 1);
  // The cap is 60 s by default; --max-wait 0.2 keeps the test short through the same code.
  const r = await runCliAsync(['infer', '--dataset', data, '--model', 'm', '--base-url', server.url, '--out', join(dir, 'a.jsonl'), '--no-cache', '--max-wait', '0.2'], {
    env: { OPENAI_API_KEY: '' }, timeoutMs: 120_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`mllmshift: ${server.url.replace(/[/.]/g, '\\$&')}: retry 1 of 4 in 0\\.2 s \\(HTTP 429[^)]*\\); the server asked to wait 100000 s, capped at 0\\.2 s`));
});

test('a dead endpoint says what it is doing while retrying, then gives up with one line', async () => {
  const data = join(dir, 'data2');
  await makeDatasetDir(data, 1);
  const r = await runCliAsync(['infer', '--dataset', data, '--model', 'm', '--base-url', 'http://127.0.0.1:9/v1', '--out', join(dir, 'b.jsonl'), '--no-cache', '--retry-delay', '10'], { env: { OPENAI_API_KEY: '' } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /mllmshift: http:\/\/127\.0\.0\.1:9\/v1: retry 1 of 4 in 0\.0 s \(Connection error/);
  assert.equal(oneLine(r.stderr).filter((l) => !/retry \d of/.test(l)).length, 1);
});
