import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { judgeAnswers, judgeMessages, type ReviewRecord } from '../../src/llm/judge.js';
import { PROJECT_PROTOCOL, parseJudgeScores, protocolRule } from '../../src/llm/judge-protocol.js';
import { ChatClient } from '../../src/llm/client.js';
import { ResponseCache } from '../../src/llm/cache.js';
import type { ResponseRecord } from '../../src/data/responses.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { startFakeServer, userText, type Reply, type SeenRequest } from './fake-server.js';
import { makeSamples } from './helpers.js';

test('parseJudgeScores reads two 1–10 scores from the first non-empty line', () => {
  assert.deepEqual(parseJudgeScores('8 7\nAssistant 1 is more detailed.'), [8, 7]);
  assert.deepEqual(parseJudgeScores('\n  9 4  \nbecause'), [9, 4]);
  assert.deepEqual(parseJudgeScores('8, 7'), [8, 7]);
  assert.deepEqual(parseJudgeScores('8.5 6'), [8.5, 6]);
  assert.deepEqual(parseJudgeScores('**8/10 7/10**'), [8, 7]);
  assert.deepEqual(parseJudgeScores('Assistant 1: 8, Assistant 2: 6.5'), [8, 6.5]);
  assert.deepEqual(parseJudgeScores('Scores: 10 and 1'), [10, 1]);
  for (const bad of ['', '8', '8 7 6', '11 7', '0 5', 'Both answers are fine.\n8 7', 'eight seven', '8 -7', '7 7.5.1']) {
    assert.equal(parseJudgeScores(bad), undefined, JSON.stringify(bad));
  }
});

test('judge prompt: context, question, reference as Assistant 1, model as Assistant 2, and the category rule', () => {
  const [system, user] = judgeMessages({ question: 'Q?', context: 'A cat on a mat.', category: 'llava_bench_detail', answer1: 'REF', answer2: 'MODEL' });
  assert.equal(system.role, 'system');
  const text = user.content as string;
  const order = ['[Context]\nA cat on a mat.', '[Question]\nQ?', '[Assistant 1]\nREF', '[End of Assistant 1]', '[Assistant 2]\nMODEL', '[End of Assistant 2]', '[System]'];
  const positions = order.map((s) => text.indexOf(s));
  assert.ok(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1])), JSON.stringify(positions));
  const rule = (c: string | undefined, ctx: boolean) => (judgeMessages({ question: 'Q?', ...(ctx ? { context: 'C.' } : {}), category: c, answer1: 'a', answer2: 'b' })[1].content as string).split('[System]\n')[1];
  assert.ok(text.endsWith(`[System]\n${rule('detail', true)}`));
  assert.match(rule('detail', true), /description of an image/);
  assert.match(rule('conv', true), /conversational/);
  assert.match(rule('complex', false), /reasoning[\s\S]*no description of it is available/);
  assert.match(rule(undefined, true), /single line|one line/);
  for (const c of ['conv', 'detail', 'complex', undefined]) assert.match(rule(c, true), /two scores, for Assistant 1 and then Assistant 2/);
  assert.deepEqual(['conv', 'llava_bench_complex', 'other', undefined].map((c) => protocolRule(PROJECT_PROTOCOL, c, 'in-the-wild').key), ['conv', 'complex', 'default', 'default']);
  const noContext = judgeMessages({ question: 'Q?', answer1: 'a', answer2: 'b' })[1].content as string;
  assert.ok(!noContext.includes('[Context]'));
});

/** Pulls Assistant 1's and 2's answers out of a judge prompt. */
function answersIn(req: SeenRequest): [string, string] {
  const t = userText(req.body);
  const a1 = /\[Assistant 1\]\n([\s\S]*?)\n\n\[End of Assistant 1\]/.exec(t)![1];
  const a2 = /\[Assistant 2\]\n([\s\S]*?)\n\n\[End of Assistant 2\]/.exec(t)![1];
  return [a1, a2];
}

/** A fair judge: 8 for a reference answer, 6 for a model answer, whatever the order. */
const fair = (req: SeenRequest): Reply => {
  const [a1, a2] = answersIn(req);
  const score = (a: string) => (a.startsWith('Reference') ? 8 : 6);
  return { kind: 'text', text: `${score(a1)} ${score(a2)}\nThe reference is more precise.` };
};

const server = await startFakeServer(fair);
after(() => server.close());
const samples = await makeSamples(6);
const answers = new Map<string, ResponseRecord>(samples.map((s, i) => [s.id, { questionId: s.id, text: `Model answer ${i}.`, answerId: `ans${i}`, modelId: 'llava-x', line: i + 1 }]));
const client = () => new ChatClient({ baseURL: server.url, concurrency: 2, retry: { maxRetries: 1, initialDelayMs: 1 } });
const reviews = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ReviewRecord);

test('judging writes one review per sample with tuple [reference, model]', async () => {
  const out = join(tempDir(), 'reviews.jsonl');
  const first = server.requests.length;
  const s = await judgeAnswers({ samples, answers, client: client(), judgeModel: 'judge-1', outPath: out });
  assert.deepEqual([s.total, s.written, s.unparsable, s.failures.length], [6, 6, 0, 0]);
  const rs = reviews(out);
  assert.deepEqual(rs.map((r) => r.question_id).sort(), [0, 1, 2, 3, 4, 5]);
  for (const r of rs) {
    assert.deepEqual(r.tuple, [8, 6]);
    assert.equal(r.category, ['conv', 'detail', 'complex'][Number(r.question_id) % 3]);
    assert.equal(r.content, '8 6\nThe reference is more precise.');
    assert.deepEqual([r.answer1_id, r.answer2_id, r.model_id, r.judge_model, r.both_orders], ['reference', `ans${r.question_id}`, 'llava-x', 'judge-1', false]);
  }
  const sent = server.requests.slice(first);
  assert.equal(sent.length, 6);
  assert.deepEqual([sent[0].body.max_tokens, sent[0].body.temperature, sent[0].body.model], [1024, 0.2, 'judge-1']);
  assert.ok(userText(sent[0].body).includes('[Context]\nA flat square of colour number'));

  const again = await judgeAnswers({ samples, answers, client: client(), judgeModel: 'judge-1', outPath: out });
  assert.deepEqual([again.resumed, again.written], [6, 0]);
  assert.equal(server.requests.length, first + 6);
  await assert.rejects(judgeAnswers({ samples, answers, client: client(), judgeModel: 'judge-2', outPath: out }), /another judge model/);
});

test('--both-orders cancels a judge that always prefers the first answer', async () => {
  server.behave = () => ({ kind: 'text', text: '9 5\nThe first one is better.' });
  try {
    const out = join(tempDir(), 'reviews.jsonl');
    const one = await judgeAnswers({ samples: samples.slice(0, 2), answers: new Map([...answers].slice(0, 2)), client: client(), judgeModel: 'j', outPath: out, bothOrders: true });
    assert.equal(one.written, 2);
    for (const r of reviews(out)) {
      assert.deepEqual(r.tuple, [7, 7]);
      assert.deepEqual(r.swapped?.tuple, [5, 9]);
      assert.equal(r.both_orders, true);
    }
    const last = server.requests.slice(-2).map(answersIn);
    assert.ok(last.some(([a1]) => a1.startsWith('Model')), 'the swapped order shows the model answer first');
  } finally {
    server.behave = fair;
  }
});

test('unparsable replies are retried, then written as failed and never scored; --retry-failed asks again', async () => {
  const dir = tempDir();
  const cache = new ResponseCache(join(dir, 'cache.sqlite'));
  const out = join(dir, 'reviews.jsonl');
  const tries = new Map<string, number>();
  server.behave = (req) => {
    const [, a2] = answersIn(req);
    const n = (tries.get(a2) ?? 0) + 1;
    tries.set(a2, n);
    if (a2 === 'Model answer 1.' && n === 1) return { kind: 'text', text: 'Both answers are reasonable.\n7 7' };
    if (a2 === 'Model answer 2.') return { kind: 'text', text: 'I cannot decide.' };
    return fair(req);
  };
  try {
    const s = await judgeAnswers({ samples, answers, client: client(), judgeModel: 'j', outPath: out, cache, parseRetries: 2 });
    assert.deepEqual([s.written, s.unparsable, s.parseRetries], [6, 1, 3]);
    const byId = new Map(reviews(out).map((r) => [String(r.question_id), r]));
    assert.deepEqual(byId.get('1')!.tuple, [8, 6]);
    assert.equal(byId.get('2')!.tuple, null);
    assert.equal(byId.get('2')!.content, 'I cannot decide.');
    assert.match(byId.get('2')!.error!, /did not start with two scores/);
    assert.equal(tries.get('Model answer 2.'), 3);

    const resumed = await judgeAnswers({ samples, answers, client: client(), judgeModel: 'j', outPath: out, cache });
    assert.deepEqual([resumed.written, resumed.unparsable], [0, 1]);
    assert.equal(tries.get('Model answer 2.'), 3, 'a plain rerun keeps the failed review');

    server.behave = fair;
    const retried = await judgeAnswers({ samples, answers, client: client(), judgeModel: 'j', outPath: out, cache, retryFailed: true });
    assert.deepEqual([retried.resumed, retried.written, retried.unparsable], [5, 1, 0]);
    const final = reviews(out);
    assert.equal(final.length, 6);
    assert.equal(new Set(final.map((r) => r.question_id)).size, 6);
    assert.ok(final.every((r) => r.tuple !== null));
  } finally {
    server.behave = fair;
    cache.close();
  }
});

test('missing answers or references are input errors; extra answers are ignored', async () => {
  const out = join(tempDir(), 'reviews.jsonl');
  const extra = new Map([...answers, ['99', { questionId: '99', text: 'not in this split', line: 7 }]]);
  const subset = await judgeAnswers({ samples: samples.slice(0, 2), answers: extra, client: client(), judgeModel: 'j', outPath: join(tempDir(), 'r.jsonl') });
  assert.equal(subset.written, 2, 'answers to questions outside the data set are ignored');
  const partial = new Map([...answers].slice(0, 4));
  await assert.rejects(judgeAnswers({ samples, answers: partial, client: client(), judgeModel: 'j', outPath: out }), (e: unknown) => e instanceof InputError && /no answer for 2 of 6 samples \(first: 4\)/.test(e.message));
  const noRef = samples.map((s) => ({ ...s, referenceAnswer: undefined }));
  await assert.rejects(judgeAnswers({ samples: noRef, answers, client: client(), judgeModel: 'j', outPath: out }), /sample 0 has no reference answer/);
  const refs = new Map<string, ResponseRecord>(samples.map((s) => [s.id, { questionId: s.id, text: `Reference from file ${s.id}`, answerId: `gpt4-${s.id}`, line: 1 }]));
  const s = await judgeAnswers({ samples: noRef, answers, references: refs, client: client(), judgeModel: 'j', outPath: out });
  assert.equal(s.written, 6);
  assert.deepEqual(reviews(out).map((r) => r.answer1_id).sort(), samples.map((x) => `gpt4-${x.id}`).sort());
});
