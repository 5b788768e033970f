/**
 * Ingest of the three traffic formats on generated files: every line lands in exactly one of
 * records / malformed / skipped, malformed lines get one-line messages naming file, line and
 * field, and the good lines around them are all read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTraffic } from '../../src/monitor/ingest.js';
import { openAiLogLine } from '../../src/monitor/ingest-openai.js';
import { imageRef, type TrafficRecord } from '../../src/monitor/traffic.js';
import { tempDir } from '../helpers/tmp.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082', 'hex');
const DATA_URL = `data:image/png;base64,${PNG.toString('base64')}`;

async function readAll(source: Parameters<typeof readTraffic>[0]): Promise<{ records: TrafficRecord[]; summary: Awaited<ReturnType<typeof readTraffic>> }> {
  const records: TrafficRecord[] = [];
  const summary = await readTraffic(source, (r) => { records.push(r); });
  return { records, summary };
}

test('openai log: data URLs and file paths, malformed and skipped lines counted, the rest read', async () => {
  const dir = tempDir('mllmshift-ingest-');
  mkdirSync(join(dir, 'img'));
  writeFileSync(join(dir, 'img', 'a.png'), PNG);
  const t0 = Date.UTC(2026, 0, 1);
  const lines = [
    openAiLogLine({ id: 'r1', time: t0, model: 'm', imageUrl: DATA_URL, question: 'What is here?', answer: 'A pixel.' }),
    '{"id": "broken", "request": ',
    openAiLogLine({ id: 'r2', time: t0 + 1000, model: 'm', imageUrl: 'a.png', question: 'Colour?', answer: 'Red.' }),
    JSON.stringify({ request: { messages: [{ role: 'user', content: 'text only' }] }, response: { choices: [{ message: { content: 'ok' } }] } }),
    JSON.stringify({ request: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/x.png' } }, { type: 'text', text: 'q' }] }] }, response: { choices: [{ message: { content: 'a' } }] } }),
    JSON.stringify({ request: { messages: 'nope' }, response: {} }),
    '',
    JSON.stringify({ request: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: '../outside.png' } }, { type: 'text', text: 'q' }] }] }, response: { choices: [{ message: { content: 'a' } }] } }),
    JSON.stringify({ request: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: DATA_URL } }, { type: 'text', text: 'q' }] }] }, response: { error: { message: 'rate limited' } } }),
    JSON.stringify({ timestamp: 'yesterday', request: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: DATA_URL } }, { type: 'text', text: 'q' }] }] }, response: { choices: [{ message: { content: 'a' } }] } }),
    openAiLogLine({ id: 'r3', time: t0 + 2000, model: 'm', imageUrl: DATA_URL, question: 'Last?', answer: 'Yes.' }),
  ];
  const file = join(dir, 'log.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const { records, summary } = await readAll({ format: 'openai', path: file, images: join(dir, 'img') });
  assert.deepEqual(records.map((r) => r.id), ['r1', 'r2', 'r3']);
  assert.deepEqual(records.map((r) => r.line), [1, 3, 11]);
  assert.deepEqual(records.map((r) => r.time), [t0, t0 + 1000, t0 + 2000]);
  assert.equal(records[1].image.kind, 'file');
  assert.equal(records[0].question, 'What is here?');
  assert.equal(records[0].answer, 'A pixel.');
  const bytes = imageRef(records[0].image, 'r1');
  assert.ok(bytes.kind === 'bytes' && Buffer.from(bytes.bytes).equals(PNG), 'data URL decodes to the PNG bytes');
  assert.equal(summary.lines, 11);
  assert.equal(summary.records, 3);
  assert.equal(summary.malformed, 4);
  assert.deepEqual(summary.skipped, { 'no image in the request': 1, 'image on the network (not fetched)': 1, 'error response': 1 });
  // every non-blank line is accounted for
  assert.equal(summary.records + summary.malformed + Object.values(summary.skipped).reduce((a, b) => a + b, 0), 10);
  assert.deepEqual(summary.issues.map((i) => i.line), [2, 6, 8, 10]);
  for (const i of summary.issues) {
    assert.ok(i.message.startsWith(`${file}:${i.line}: `), i.message);
    assert.ok(!i.message.includes('\n'), 'one line');
  }
  assert.match(summary.issues[0].message, /not valid JSON/);
  assert.match(summary.issues[1].message, /request\.messages: expected an array of chat messages, found "nope"/);
  assert.match(summary.issues[2].message, /outside the images folder/);
  assert.match(summary.issues[3].message, /timestamp: expected an ISO 8601 date/);
});

test('OpenInference spans (flat and nested attributes), OTel GenAI spans and an OTLP export line', async () => {
  const dir = tempDir('mllmshift-ingest-');
  const b64 = PNG.toString('base64');
  const oi = {
    name: 'ChatCompletion',
    context: { trace_id: 't1', span_id: 's1' },
    start_time: '2026-01-01T10:00:00Z',
    attributes: {
      'openinference.span.kind': 'LLM',
      'llm.input_messages.0.message.role': 'system',
      'llm.input_messages.0.message.content': 'Be brief.',
      'llm.input_messages.1.message.role': 'user',
      'llm.input_messages.1.message.contents.0.message_content.type': 'text',
      'llm.input_messages.1.message.contents.0.message_content.text': 'What shape?',
      'llm.input_messages.1.message.contents.1.message_content.type': 'image',
      'llm.input_messages.1.message.contents.1.message_content.image.image.url': DATA_URL,
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.content': 'A square.',
    },
  };
  const nested = {
    context: { span_id: 's2' },
    start_time: '2026-01-01T10:05:00Z',
    attributes: {
      openinference: { span: { kind: 'LLM' } },
      llm: {
        input_messages: [{ message: { role: 'user', contents: [{ message_content: { type: 'image', image: { image: { url: DATA_URL } } } }, { message_content: { type: 'text', text: 'Nested?' } }] } }],
        output_messages: [{ message: { role: 'assistant', content: 'Yes, nested.' } }],
      },
    },
  };
  const chain = { context: { span_id: 's3' }, start_time: '2026-01-01T10:06:00Z', attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': 'x' } };
  const genai = {
    context: { span_id: 's4' },
    start_time: '2026-01-01T10:07:00Z',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'OTel question' }, { type: 'blob', modality: 'image', mime_type: 'image/png', content: b64 }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'OTel answer' }], finish_reason: 'stop' }]),
    },
  };
  const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const otlp = {
    resourceSpans: [{ scopeSpans: [{ spans: [
      { spanId: 'o1', startTimeUnixNano: '1767261600000000000', attributes: [kv('gen_ai.input.messages', genai.attributes['gen_ai.input.messages']), kv('gen_ai.output.messages', genai.attributes['gen_ai.output.messages'])] },
      { spanId: 'o2', startTimeUnixNano: '1767261601000000000', attributes: [kv('openinference.span.kind', 'TOOL')] },
    ] }] }],
  };
  const lines = [
    JSON.stringify(oi),
    JSON.stringify(nested),
    JSON.stringify(chain),
    JSON.stringify({ context: {}, attributes: 'flat?' }),
    JSON.stringify(genai),
    JSON.stringify(otlp),
    JSON.stringify({ ...oi, start_time: 'soon' }),
    '[1, 2]',
  ];
  const file = join(dir, 'spans.jsonl');
  writeFileSync(file, lines.join('\n'));
  const { records, summary } = await readAll({ format: 'spans', path: file });
  assert.deepEqual(records.map((r) => r.id), ['s1', 's2', 's4', 'o1']);
  assert.deepEqual(records.map((r) => r.question), ['What shape?', 'Nested?', 'OTel question', 'OTel question']);
  assert.deepEqual(records.map((r) => r.answer), ['A square.', 'Yes, nested.', 'OTel answer', 'OTel answer']);
  assert.equal(records[0].time, Date.UTC(2026, 0, 1, 10));
  assert.equal(records[3].time, 1767261600000);
  assert.equal(records[2].image.kind, 'data-url');
  assert.ok(records[2].image.kind === 'data-url' && records[2].image.url === DATA_URL, 'blob part becomes a data URL');
  assert.equal(summary.malformed, 3);
  assert.deepEqual(summary.issues.map((i) => i.line), [4, 7, 8]);
  assert.match(summary.issues[0].message, /attributes: expected an object of span attributes, found "flat\?"/);
  assert.match(summary.issues[1].message, /start time/);
  assert.deepEqual(summary.skipped, { 'span is not an LLM call': 2 });
});

test('LLaVA answer file joined to its questions file; unknown ids skipped, bad lines reported', async () => {
  const dir = tempDir('mllmshift-ingest-');
  mkdirSync(join(dir, 'images'));
  writeFileSync(join(dir, 'images', '001.png'), PNG);
  const q = join(dir, 'questions.jsonl');
  writeFileSync(q, [{ question_id: 0, image: '001.png', text: 'Q0' }, { question_id: 1, image: '001.png', text: 'Q1' }].map((x) => JSON.stringify(x)).join('\n'));
  const a = join(dir, 'answers.jsonl');
  writeFileSync(a, [
    JSON.stringify({ question_id: 0, prompt: 'Q0', text: 'A0', answer_id: 'x0', model_id: 'llava', metadata: {} }),
    JSON.stringify({ question_id: 1, text: 42 }),
    JSON.stringify({ question_id: 7, prompt: 'Q7', text: 'A7' }),
    'not json',
    JSON.stringify({ question_id: 1, text: 'A1' }),
  ].join('\n'));
  const { records, summary } = await readAll({ format: 'llava', path: a, questions: q, images: join(dir, 'images') });
  assert.deepEqual(records.map((r) => [r.id, r.question, r.answer, r.time]), [['x0', 'Q0', 'A0', null], ['1', 'Q1', 'A1', null]]);
  assert.ok(records[0].image.kind === 'file' && records[0].image.path === join(dir, 'images', '001.png'));
  assert.equal(summary.malformed, 2);
  assert.match(summary.issues[0].message, /:2: text: expected the answer as a string, found number 42/);
  assert.deepEqual(summary.skipped, { 'question_id not in the questions file': 1 });
});
