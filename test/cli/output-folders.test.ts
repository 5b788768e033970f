/**
 * Every command that writes a file creates the folders above it: the shared writers
 * (writeFileAtomic, the JSONL appender's lock) do it, so each command's --out may name a
 * folder that does not exist yet.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { runCliAsync } from '../helpers/cli.js';
import { startFakeServer, userText } from '../llm/fake-server.js';
import { makeDatasetDir } from '../llm/helpers.js';
import { makeRunResults } from '../report/report-fixture.js';
import { writeFileAtomic } from '../../src/io/atomic-write.js';
import { JsonlAppender } from '../../src/llm/jsonl-log.js';
import { InputError } from '../../src/errors.js';

const dir = tempDir();

test('writeFileAtomic and JsonlAppender.open create missing parent folders; a parent that is a file is one InputError', () => {
  const p = join(dir, 'lib', 'a', 'b', 'x.txt');
  writeFileAtomic(p, 'hello');
  assert.equal(readFileSync(p, 'utf8'), 'hello');
  const log = join(dir, 'lib', 'c', 'd', 'x.jsonl');
  const { appender } = JsonlAppender.open(log);
  appender.append({ k: 1 });
  appender.close();
  assert.equal(readFileSync(log, 'utf8'), '{"k":1}\n');
  assert.equal(existsSync(`${log}.lock`), false);
  const blocker = join(dir, 'lib', 'plain-file');
  writeFileSync(blocker, '');
  assert.throws(() => JsonlAppender.open(join(blocker, 'x.jsonl')), (e: unknown) => e instanceof InputError && e.message.includes(join(blocker, 'x.jsonl')));
});

test('infer, judge, embed, train-estimator and report write into folders that do not exist yet', async () => {
  const server = await startFakeServer((req) => ({ kind: 'text', text: req.body.model === 'judge' ? '8 6\nreasons' : `answer to ${userText(req.body)}` }));
  after(() => server.close());
  const data = join(dir, 'data');
  await makeDatasetDir(data, 6);
  const env = { MLLMSHIFT_CACHE_DIR: join(dir, 'cache'), OPENAI_API_KEY: '' };
  const answers = join(dir, 'answers', 'deep', 'x.jsonl');
  const infer = await runCliAsync(['infer', '--dataset', data, '--model', 'm', '--base-url', server.url, '--out', answers], { env });
  assert.equal(infer.code, 0, infer.stderr);
  assert.equal(readFileSync(answers, 'utf8').trim().split('\n').length, 6);

  const reviews = join(dir, 'reviews', 'deep', 'x.jsonl');
  const judge = await runCliAsync(['judge', '--dataset', data, '--answers', answers, '--judge-model', 'judge', '--base-url', server.url, '--out', reviews], { env });
  assert.equal(judge.code, 0, judge.stderr);
  assert.equal(readFileSync(reviews, 'utf8').trim().split('\n').length, 6);

  const set = join(dir, 'emb', 'deep', 'x.safetensors');
  const embed = await runCliAsync(['embed', '--dataset', data, '--responses', answers, '--encoders', 'builtin', '--out', set], { env });
  assert.equal(embed.code, 0, embed.stderr);
  assert.ok(existsSync(set));

  const ckpt = join(dir, 'estimators', 'deep', 'c.safetensors');
  const train = await runCliAsync(['train-estimator', set, '--out', ckpt, '--epochs', '2', '--hidden', '4'], { env });
  assert.equal(train.code, 0, train.stderr);
  assert.ok(existsSync(ckpt));

  const results = join(dir, 'results.json');
  writeFileSync(results, JSON.stringify(makeRunResults()));
  const page = join(dir, 'pages', 'deep', 'r.html');
  const report = await runCliAsync(['report', results, '--out', page], { env });
  assert.equal(report.code, 0, report.stderr);
  assert.match(readFileSync(page, 'utf8'), /<html/i);
});
