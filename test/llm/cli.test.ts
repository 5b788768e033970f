import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { startFakeServer, userText, type Reply, type SeenRequest } from './fake-server.js';
import { makeDatasetDir, startCli, waitFor } from './helpers.js';

const KEY = 'sk-cli-SECRET-77ab31';

/** Answers by model name: "slow" takes 250 ms, "judge" scores 8 (reference) vs 6 (model), "deny" is a 401 echoing the key. */
function behave(req: SeenRequest): Reply {
  switch (req.body.model) {
    case 'slow':
      return { kind: 'text', text: `answer to ${userText(req.body)}`, delayMs: 250 };
    case 'judge': {
      const t = userText(req.body);
      const first = /\[Assistant 1\]\n(.*)/.exec(t)![1];
      return { kind: 'text', text: first.startsWith('Reference') ? '8 6\nreasons' : '6 8\nreasons' };
    }
    case 'deny':
      return { kind: 'error', status: 401, body: JSON.stringify({ error: { message: `invalid key in ${String(req.headers.authorization)}` } }) };
    default:
      return { kind: 'text', text: 'ok' };
  }
}

const server = await startFakeServer(behave);
after(() => server.close());
const dir = tempDir();
const data = join(dir, 'data');
await makeDatasetDir(data, 12);
const env = { MLLMSHIFT_CACHE_DIR: join(dir, 'cache'), OPENAI_API_KEY: '', TEST_KEY: KEY };
const lineCount = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l.trim() !== '').length : 0);

test('infer interrupted (SIGINT), killed (SIGKILL) and rerun ends with exactly one answer per sample', async () => {
  const out = join(dir, 'answers.jsonl');
  const args = ['infer', '--dataset', data, '--model', 'slow', '--base-url', server.url, '--out', out, '--concurrency', '2', '--max-tokens', '50', '--temperature', '0'];

  const interrupted = startCli(args, env);
  await waitFor(() => lineCount(out) >= 2, 30_000, 'two answers');
  interrupted.child.kill('SIGINT');
  const r1 = await interrupted.done;
  assert.equal(r1.code, 130);
  assert.match(r1.stderr, /interrupted; \d+ of 12 answers are saved in .*answers\.jsonl; rerun the same command to continue/);
  assert.equal(existsSync(`${out}.lock`), false, 'an interrupted run releases its lock');

  const killed = startCli(args, env);
  const before = lineCount(out);
  await waitFor(() => lineCount(out) >= before + 2, 30_000, 'two more answers');
  killed.child.kill('SIGKILL');
  const r2 = await killed.done;
  assert.equal(r2.signal, 'SIGKILL');
  assert.ok(existsSync(`${out}.lock`), 'a killed run leaves its lock behind, for the rerun to take over');
  // A write cut off by the kill leaves a torn last line; simulate the worst case.
  const afterKill = lineCount(out);
  appendFileSync(out, '{"question_id": 11, "prompt": "What is in pic');

  const requestsBefore = server.requests.length;
  const r3 = await startCli([...args, '--json'], env).done;
  assert.equal(r3.code, 0, r3.stderr);
  const summary = JSON.parse(r3.stdout) as { total: number; resumed: number; written: number; failed: unknown[]; peakConcurrency: number };
  assert.deepEqual([summary.total, summary.resumed, summary.resumed + summary.written, summary.failed.length], [12, afterKill, 12, 0]);
  assert.ok(summary.peakConcurrency <= 2);
  assert.ok(server.requests.length - requestsBefore <= 12 - afterKill, 'only missing samples are asked for');

  const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { question_id: number; text: string });
  assert.equal(records.length, 12);
  assert.deepEqual(records.map((r) => r.question_id).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  for (const r of records) assert.equal(r.text, `answer to What is in picture ${r.question_id}?`);
  assert.ok(server.peakInFlight <= 2, `peak in flight ${server.peakInFlight}`);
  assert.equal(existsSync(`${out}.lock`), false);
});

test('judge and judge summarize from the command line', async () => {
  const answers = join(dir, 'model-answers.jsonl');
  writeFileSync(answers, Array.from({ length: 12 }, (_, i) => JSON.stringify({ question_id: i, prompt: `What is in picture ${i}?`, text: `Model says ${i}`, answer_id: `a${i}`, model_id: 'm', metadata: {} })).join('\n') + '\n');
  const reviews = join(dir, 'reviews.jsonl');
  const r = await startCli(['judge', '--dataset', data, '--answers', answers, '--judge-model', 'judge', '--base-url', server.url, '--out', reviews, '--both-orders', '--json'], env).done;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { out: reviews, protocol: 'mllmshift', total: 12, resumed: 0, written: 12, unparsable: 0, parseRetries: 0, failed: [] });
  assert.equal(lineCount(reviews), 12);

  const s = await startCli(['judge', 'summarize', reviews, '--json', '--resamples', '200'], env).done;
  assert.equal(s.code, 0, s.stderr);
  const doc = JSON.parse(s.stdout) as { files: { file: string; categories: { category: string; n: number; failed: number; relativeScore: number; winRate: number; relativeScoreCI: number[]; llava: unknown }[] }[] };
  const [file] = doc.files;
  assert.equal(file.file, reviews);
  assert.deepEqual((file as unknown as { protocols: string[] }).protocols, ['mllmshift']);
  assert.deepEqual(file.categories.map((c) => [c.category, c.n, c.failed]), [['all', 12, 0], ['complex', 4, 0], ['conv', 4, 0], ['detail', 4, 0]]);
  for (const c of file.categories) {
    assert.equal(c.relativeScore, 75);
    assert.equal(c.winRate, 0);
    assert.deepEqual(c.relativeScoreCI, [75, 75]);
    assert.deepEqual(c.llava, { relative: 75, reference: 80, model: 60 });
  }
  const text = await startCli(['judge', 'summarize', reviews, '--resamples', '0'], env).done;
  assert.equal(text.code, 0);
  assert.match(text.stdout, /all\s+12\s+0\s+8\.000\s+6\.000\s+75\.0\s+0\/0\/12\s+0\.0\s+75 80 60/);
  assert.match(text.stdout, /^judge protocol: mllmshift$/m);
});

test('the API key is sent but never printed or written; usage errors exit 2', async () => {
  const out = join(dir, 'denied.jsonl');
  const r = await startCli(['infer', '--dataset', data, '--model', 'deny', '--base-url', server.url, '--out', out, '--api-key-env', 'TEST_KEY', '--json'], env).done;
  assert.equal(r.code, 1);
  assert.equal(server.requests.at(-1)!.headers.authorization, `Bearer ${KEY}`);
  assert.match(r.stderr, /HTTP 401: invalid key in Bearer \*\*\*/);
  for (const text of [r.stdout, r.stderr]) assert.ok(!text.includes(KEY));
  for (const name of readdirSync(join(dir, 'cache'))) assert.ok(!readFileSync(join(dir, 'cache', name)).includes(KEY));
  if (existsSync(out)) assert.ok(!readFileSync(out, 'utf8').includes(KEY));

  const noVar = await startCli(['infer', '--dataset', data, '--model', 'x', '--base-url', server.url, '--out', out, '--api-key-env', 'NOT_SET_ANYWHERE'], env).done;
  assert.equal(noVar.code, 2);
  assert.match(noVar.stderr, /environment variable NOT_SET_ANYWHERE \(the API key\) is not set/);
  const noModel = await startCli(['infer', '--dataset', data, '--base-url', server.url, '--out', out], env).done;
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /--model is required/);
});
