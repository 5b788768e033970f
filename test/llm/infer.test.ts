import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectResponses, sampleRequest } from '../../src/llm/infer.js';
import { ChatClient } from '../../src/llm/client.js';
import { ResponseCache } from '../../src/llm/cache.js';
import { readAnswerFile } from '../../src/data/responses.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { startFakeServer, userText, type ChatBody } from './fake-server.js';
import { makeSamples } from './helpers.js';

const server = await startFakeServer((req) => ({ kind: 'text', text: `A: ${userText(req.body)}` }));
after(() => server.close());
const samples = await makeSamples(7);
const client = (concurrency = 3) => new ChatClient({ baseURL: server.url, concurrency, retry: { maxRetries: 1, initialDelayMs: 1 } });
const lines = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const imageUrl = (b: ChatBody) => (b.messages[0].content as { type: string; image_url?: { url: string } }[])[0].image_url!.url;

test('sampleRequest sends the image as a base64 PNG data URL, then the question', async () => {
  const r = await sampleRequest(samples[2], 'llava', { maxTokens: 64, temperature: 0 }, 'Be brief.');
  assert.equal(r.messages[0].content, 'Be brief.');
  const parts = r.messages[1].content as { type: string; text?: string; image_url?: { url: string } }[];
  assert.equal(parts[0].type, 'image_url');
  const bytes = samples[2].image.kind === 'bytes' ? samples[2].image.bytes : new Uint8Array();
  assert.equal(parts[0].image_url!.url, `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`);
  assert.deepEqual(parts[1], { type: 'text', text: 'What is in picture 2?' });
  assert.equal(r.maxTokens, 64);
});

test('one LLaVA-format answer per sample, then a rerun has nothing to do', async () => {
  const out = join(tempDir(), 'answers.jsonl');
  const first = server.requests.length;
  const s = await collectResponses({ samples, client: client(), model: 'llava-x', outPath: out, maxTokens: 32, temperature: 0 });
  assert.deepEqual([s.total, s.resumed, s.written, s.failures.length], [7, 0, 7, 0]);
  assert.ok(s.peakConcurrency <= 3);
  const recs = lines(out);
  assert.deepEqual(recs.map((r) => r.question_id).sort(), [0, 1, 2, 3, 4, 5, 6]);
  for (const r of recs) {
    assert.deepEqual(Object.keys(r), ['question_id', 'prompt', 'text', 'answer_id', 'model_id', 'metadata']);
    assert.equal(r.prompt, `What is in picture ${r.question_id}?`);
    assert.equal(r.text, `A: What is in picture ${r.question_id}?`);
    assert.equal(r.model_id, 'llava-x');
    assert.match(String(r.answer_id), /^[0-9A-Za-z]{22}$/);
    assert.deepEqual(r.metadata, { temperature: 0, max_tokens: 32, finish_reason: 'stop', served_model: 'llava-x' });
  }
  const sent = server.requests.slice(first);
  assert.equal(sent.length, 7);
  assert.equal(new Set(sent.map((r) => imageUrl(r.body))).size, 7);
  assert.equal(readAnswerFile(out).length, 7);

  const again = await collectResponses({ samples, client: client(), model: 'llava-x', outPath: out, maxTokens: 32, temperature: 0 });
  assert.deepEqual([again.resumed, again.written], [7, 0]);
  assert.equal(server.requests.length, first + 7);
});

test('resuming after a crash: a torn last line is dropped and only missing samples are asked', async () => {
  const out = join(tempDir(), 'answers.jsonl');
  await collectResponses({ samples: samples.slice(0, 3), client: client(), model: 'm', outPath: out });
  const three = readFileSync(out, 'utf8');
  writeFileSync(out, `${three}{"question_id": 3, "prompt": "What is in pic`);
  const first = server.requests.length;
  const s = await collectResponses({ samples, client: client(), model: 'm', outPath: out });
  assert.deepEqual([s.resumed, s.written], [3, 4]);
  const asked = server.requests.slice(first).map((r) => userText(r.body)).sort();
  assert.deepEqual(asked, [3, 4, 5, 6].map((i) => `What is in picture ${i}?`));
  const ids = lines(out).map((r) => r.question_id);
  assert.equal(ids.length, 7);
  assert.equal(new Set(ids).size, 7);
});

test('the cache answers identical requests without the endpoint', async () => {
  const dir = tempDir();
  const cache = new ResponseCache(join(dir, 'c.sqlite'));
  const first = server.requests.length;
  const a = await collectResponses({ samples, client: client(), model: 'm', outPath: join(dir, 'a.jsonl'), cache, temperature: 0 });
  assert.equal(a.fromCache, 0);
  const b = await collectResponses({ samples, client: client(), model: 'm', outPath: join(dir, 'b.jsonl'), cache, temperature: 0 });
  assert.deepEqual([b.written, b.fromCache], [7, 7]);
  assert.equal(server.requests.length, first + 7);
  const c = await collectResponses({ samples, client: client(), model: 'm', outPath: join(dir, 'c.jsonl'), cache, temperature: 0.5 });
  assert.equal(c.fromCache, 0, 'other generation parameters are other requests');
  cache.close();
  const text = (p: string) => lines(p).map((r) => [r.question_id, r.text]).sort();
  assert.deepEqual(text(join(dir, 'a.jsonl')), text(join(dir, 'b.jsonl')));
});

test('an answer file of another model or data set is refused', async () => {
  const out = join(tempDir(), 'answers.jsonl');
  await collectResponses({ samples: samples.slice(0, 2), client: client(), model: 'm', outPath: out });
  await assert.rejects(collectResponses({ samples, client: client(), model: 'other', outPath: out }), (e: unknown) => e instanceof InputError && /holds answers of model "m"/.test(e.message));
  await assert.rejects(collectResponses({ samples: samples.slice(3), client: client(), model: 'm', outPath: out }), (e: unknown) => e instanceof InputError && /not in the data set/.test(e.message));
});

test('failed samples are reported and left for a rerun; the run stops after consecutive failures', async () => {
  const out = join(tempDir(), 'answers.jsonl');
  server.behave = (req) => (userText(req.body).includes('picture 4') ? { kind: 'error', status: 400 } : { kind: 'text', text: 'fine' });
  try {
    const s = await collectResponses({ samples, client: client(), model: 'm', outPath: out });
    assert.deepEqual([s.written, s.failures.length, s.stoppedEarly], [6, 1, false]);
    assert.equal(s.failures[0].id, '4');
    assert.match(s.failures[0].message, /HTTP 400/);

    server.behave = () => ({ kind: 'error', status: 503 });
    const out2 = join(tempDir(), 'answers.jsonl');
    const down = await collectResponses({ samples, client: client(1), model: 'm', outPath: out2, maxConsecutiveFailures: 2 });
    assert.deepEqual([down.written, down.failures.length, down.stoppedEarly], [0, 2, true]);
  } finally {
    server.behave = (req) => ({ kind: 'text', text: `A: ${userText(req.body)}` });
  }
  const s = await collectResponses({ samples, client: client(), model: 'm', outPath: out });
  assert.deepEqual([s.resumed, s.written], [6, 1]);
});

test('answers arriving out of order are rewritten in data set order once complete (LLaVA pairs lines)', async () => {
  const out = join(tempDir(), 'answers.jsonl');
  const before = server.behave;
  // The first samples answer last: completion order is the reverse of the data set's.
  server.behave = (req) => {
    const q = userText(req.body);
    const i = Number(/picture (\d+)/.exec(q)![1]);
    return { kind: 'text', text: `A: ${q}`, delayMs: (7 - i) * 15 };
  };
  try {
    await collectResponses({ samples, client: client(7), model: 'llava-order', outPath: out });
  } finally {
    server.behave = before;
  }
  assert.deepEqual(lines(out).map((r) => r.question_id), [0, 1, 2, 3, 4, 5, 6]);
  // An incomplete file keeps completion order (it is rewritten when the rerun completes it).
  const partial = join(tempDir(), 'partial.jsonl');
  writeFileSync(partial, readFileSync(out, 'utf8').trim().split('\n').filter((_, i) => i !== 3).reverse().map((l) => `${l}\n`).join(''));
  assert.deepEqual(lines(partial).map((r) => r.question_id), [6, 5, 4, 2, 1, 0]);
  await collectResponses({ samples, client: client(), model: 'llava-order', outPath: partial });
  assert.deepEqual(lines(partial).map((r) => r.question_id), [0, 1, 2, 3, 4, 5, 6]);
});
