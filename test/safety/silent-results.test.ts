/**
 * Issue 13, "silent wrong results": each case used to end with wrong numbers (or none) and
 * exit 0; now each is refused with exit 2 naming the file/line, or is correct.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { writeEmbeddingSet } from '../../src/io/embedding-set.js';
import { encodeNpy } from '../../src/io/npy.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { startFakeServer, userText } from '../llm/fake-server.js';
import { makeDatasetDir } from '../llm/helpers.js';

const server = await startFakeServer((req) => ({ kind: 'text', text: req.body.model === 'judge' ? '7 6\nfine' : `answer to ${userText(req.body)}` }));
after(() => server.close());
const dir = tempDir();
const data = join(dir, 'data');
await makeDatasetDir(data, 4);
const env = { MLLMSHIFT_CACHE_DIR: join(dir, 'cache'), OPENAI_API_KEY: '' };

/** An answer file for the 4 samples; `shift` moves every prompt one question along (the off-by-one of a scenario loop). */
function answerFile(name: string, shift: number): string {
  const path = join(dir, name);
  const lines = [0, 1, 2, 3].map((i) => JSON.stringify({ question_id: i, prompt: `What is in picture ${(i + shift) % 4}?`, text: `It shows colour ${i}.`, answer_id: `a${i}`, model_id: 'm', metadata: {} }));
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
const matching = answerFile('matching.jsonl', 0);
const shifted = answerFile('shifted.jsonl', 1);

test('embed refuses an answer file whose prompts are not the data set\'s questions, naming file, line and question_id', () => {
  const r = runCli(['embed', '--dataset', data, '--responses', shifted, '--out', join(dir, 'e.safetensors'), '--encoders', 'builtin', '--no-cache', '--quiet']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /shifted\.jsonl:1: question_id 0: the answer's prompt "What is in picture 1\?" is not the data set's question "What is in picture 0\?" \(4 of 4 answers differ/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const allowed = runCli(['embed', '--dataset', data, '--responses', shifted, '--out', join(dir, 'e.safetensors'), '--encoders', 'builtin', '--no-cache', '--quiet', '--allow-prompt-mismatch']);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, /warning: .*shifted\.jsonl:1: question_id 0/);
});

test('judge refuses mismatched prompts before any request reaches the endpoint', async () => {
  const before = server.requests.length;
  const r = await runCliAsync(['judge', '--dataset', data, '--answers', shifted, '--judge-model', 'judge', '--base-url', server.url, '--out', join(dir, 'rev.jsonl')], { env });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /shifted\.jsonl:1: question_id 0: the answer's prompt/);
  assert.equal(server.requests.length, before);
  const ok = await runCliAsync(['judge', '--dataset', data, '--answers', matching, '--judge-model', 'judge', '--base-url', server.url, '--out', join(dir, 'rev.jsonl')], { env });
  assert.equal(ok.code, 0, ok.stderr);
});

test('the response cache is keyed by endpoint: a dead endpoint is not answered from another one\'s cache', async () => {
  const cache = join(dir, 'c1.sqlite');
  const first = await runCliAsync(['infer', '--dataset', data, '--model', 'm', '--base-url', server.url, '--out', join(dir, 'a1.jsonl'), '--cache', cache, '--temperature', '0'], { env });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /4 new: 4 asked of http:\/\/127\.0\.0\.1:\d+\/v1, 0 from the response cache/);
  const again = await runCliAsync(['infer', '--dataset', data, '--model', 'm', '--base-url', server.url, '--out', join(dir, 'a2.jsonl'), '--cache', cache, '--temperature', '0'], { env });
  assert.match(again.stderr, /4 new: 0 asked of .*, 4 from the response cache/);
  // Port 9 (discard) on 127.0.0.1: nothing listens; the answers of the other port must not stand in.
  const dead = await runCliAsync(['infer', '--dataset', data, '--model', 'm', '--base-url', 'http://127.0.0.1:9/v1', '--out', join(dir, 'a3.jsonl'), '--cache', cache, '--temperature', '0', '--max-retries', '0'], { env });
  assert.equal(dead.code, 1, dead.stderr);
  assert.match(dead.stderr, /0 new: 0 asked of http:\/\/127\.0\.0\.1:9\/v1, 0 from the response cache/);
  assert.match(dead.stderr, /4 of 4 requests failed/);
});

test('sampled requests (temperature > 0) are not cached unless --cache-sampled', async () => {
  const cache = join(dir, 'c2.sqlite');
  const args = (out: string) => ['infer', '--dataset', data, '--model', 'm', '--base-url', server.url, '--out', join(dir, out), '--cache', cache, '--temperature', '0.7'];
  const before = server.requests.length;
  assert.equal((await runCliAsync(args('s1.jsonl'), { env })).code, 0);
  assert.equal((await runCliAsync(args('s2.jsonl'), { env })).code, 0);
  assert.equal(server.requests.length - before, 8, 'each sampled answer is asked again');
  assert.equal((await runCliAsync([...args('s3.jsonl'), '--cache-sampled'], { env })).code, 0);
  const r = await runCliAsync([...args('s4.jsonl'), '--cache-sampled'], { env });
  assert.match(r.stderr, /4 from the response cache/);
  assert.equal(server.requests.length - before, 12);
});

test('empty data sets (0 lines, blank lines, 0-row parquet) are refused by infer and judge with exit 2', async () => {
  const empty = join(dir, 'empty');
  const blank = join(dir, 'blank');
  for (const [d, text] of [[empty, ''], [blank, '\n  \n\n']] as const) {
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'samples.jsonl'), text);
  }
  const pq = join(dir, 'zero.parquet');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await parquetWriteFile({ filename: pq, columnData: [{ name: 'question', data: [], type: 'STRING' }, { name: 'reference_answer', data: [], type: 'STRING' }] } as any);
  const before = server.requests.length;
  for (const ds of [empty, blank, pq]) {
    const inf = await runCliAsync(['infer', '--dataset', ds, '--model', 'm', '--base-url', server.url, '--out', join(dir, 'x.jsonl')], { env });
    assert.equal(inf.code, 2, `infer ${ds}: ${inf.stderr}`);
    assert.match(inf.stderr, /(no samples|no rows|not a readable parquet)/, inf.stderr);
    const jud = await runCliAsync(['judge', '--dataset', ds, '--answers', matching, '--judge-model', 'judge', '--base-url', server.url, '--out', join(dir, 'y.jsonl')], { env });
    assert.equal(jud.code, 2, `judge ${ds}: ${jud.stderr}`);
  }
  assert.equal(server.requests.length, before);
});

test('an empty sample id names the file and line', () => {
  const d = join(dir, 'emptyid');
  cpSync(data, d, { recursive: true });
  const src = readFileSync(join(d, 'samples.jsonl'), 'utf8').split('\n');
  const rec = JSON.parse(src[1]) as Record<string, string>;
  rec.id = '';
  writeFileSync(join(d, 'samples.jsonl'), `${src[0]}\n${JSON.stringify(rec)}\n`);
  const r = runCli(['embed', '--dataset', d, '--responses', matching, '--out', join(dir, 'f.safetensors'), '--encoders', 'builtin', '--no-cache', '--quiet']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /samples\.jsonl:2: field "id" is empty/);
});

test('mi --estimator gaussian on a constant X is an error, not "mi": null', () => {
  const x = join(dir, 'x.npy');
  const y = join(dir, 'y.npy');
  const n = 40;
  writeFileSync(x, encodeNpy({ rows: n, cols: 2, data: Float64Array.from({ length: 2 * n }, (_, k) => (k % 2) + 1) }));
  writeFileSync(y, encodeNpy({ rows: n, cols: 2, data: Float64Array.from({ length: 2 * n }, (_, k) => Math.sin(k) + Math.cos(3 * k)) }));
  const r = runCli(['mi', '--x', x, '--y', y, '--estimator', 'gaussian', '--json', '--bootstrap', '0']);
  assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /covariance of X and Y is singular/);
  assert.equal(r.stdout, '');
});

test('judge summarize refuses scores of 1e308 and a question_id reviewed twice', () => {
  const huge = join(dir, 'huge.jsonl');
  writeFileSync(huge, `${JSON.stringify({ question_id: 0, category: 'conv', tuple: [1e308, 1e308] })}\n${JSON.stringify({ question_id: 1, category: 'conv', tuple: [1e308, 5] })}\n`);
  const r = runCli(['judge', 'summarize', huge, '--resamples', '0']);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /huge\.jsonl: line 1: "tuple" scores must be at most 100/);
  const dup = join(dir, 'dup.jsonl');
  writeFileSync(dup, ['{"question_id": 0, "category": "conv", "tuple": [8, 6]}', '{"question_id": 1, "category": "conv", "tuple": [8, 8]}', '{"question_id": 0, "category": "conv", "tuple": [8, 6]}'].join('\n') + '\n');
  const d = runCli(['judge', 'summarize', dup, '--resamples', '0']);
  assert.equal(d.code, 2, d.stdout + d.stderr);
  assert.match(d.stderr, /dup\.jsonl: line 3: question_id 0 was already reviewed on line 1/);
});

/** A small embedding set whose metadata names `image`/`text` encoders; `scale` multiplies every value. */
function embeddingSet(name: string, encoders: { image: string; text: string }, scale = 1, n = 24, d = 6): string {
  const m = (phase: number) => {
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += Math.sin(0.3 * (i + 1) * (k + 1) + phase) ** 2;
      for (let k = 0; k < d; k++) data[i * d + k] = (scale * Math.sin(0.3 * (i + 1) * (k + 1) + phase)) / Math.sqrt(s);
    }
    return { rows: n, cols: d, data };
  };
  const path = join(dir, `${name}.safetensors`);
  writeEmbeddingSet(path, {
    xv: m(0), xt: m(0.5), yHat: m(1.1), y: m(1), scenario: name, sampleIds: Array.from({ length: n }, (_, i) => String(i)),
    encoders: { kind: 'test', image: { id: encoders.image, version: '1' }, text: { id: encoders.text, version: '1' } },
  });
  return path;
}

test('an estimator used on embeddings of other encoders than it was trained for is an error unless overridden', () => {
  const a = embeddingSet('set_a', { image: 'img-a', text: 'txt-a' });
  const b = embeddingSet('set_b', { image: 'img-b', text: 'txt-a' });
  const est = join(dir, 'est.safetensors');
  const t = runCli(['train-estimator', a, '--out', est, '--epochs', '2', '--hidden', '4', '--batch-size', '8']);
  assert.equal(t.code, 0, t.stderr);
  const r = runCli(['emi', b, '--estimator', est]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /set_b\.safetensors: embedded with encoders \(image img-b, text txt-a\) but the estimator .*est\.safetensors was trained for \(image img-a, text txt-a\)/);
  assert.equal(runCli(['emi', b, '--estimator', est, '--allow-encoder-mismatch']).code, 0);
  assert.equal(runCli(['emi', a, '--estimator', est]).code, 0);
});

test('train-estimator --variant calibrated on ±3e38 inputs: a clear error or a finite checkpoint with finite EMI, never Infinity', () => {
  for (const scale of [3e38, 3.4e38]) {
    const big = embeddingSet(`set_big_${scale}`, { image: 'img-a', text: 'txt-a' }, scale);
    const out = join(dir, `big_${scale}.safetensors`);
    const r = runCli(['train-estimator', big, '--out', out, '--epochs', '2', '--hidden', '4', '--batch-size', '8', '--variant', 'calibrated', '--json']);
    if (r.code === 2) {
      assert.match(r.stderr, /^mllmshift: training on .*set_big.* gave non-finite weights/);
      continue;
    }
    assert.equal(r.code, 0, r.stderr);
    const e = runCli(['emi', big, '--estimator', out, '--json']);
    assert.equal(e.code, 0, e.stderr);
    const emi = (JSON.parse(e.stdout) as { EMI: Record<string, number> }).EMI[`set_big_${scale}`];
    assert.ok(Number.isFinite(emi), `EMI ${emi}`);
  }
});
