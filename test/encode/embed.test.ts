import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { EmbeddingCache } from '../../src/encode/cache.js';
import { buildEmbedInputs, builtinEncoder, embedInputs, loadEncoder, paperEncoder, type EmbedInput } from '../../src/encode/embed.js';
import type { Encoder } from '../../src/encode/encoder.js';
import type { Rgb8Image } from '../../src/io/image.js';
import type { Sample } from '../../src/data/sample.js';
import type { ResponseRecord } from '../../src/data/responses.js';
import { InputError } from '../../src/errors.js';
import { maxAbsDiff, writeTinyClip, writeTinyXlmr } from './fixtures.js';

let dir: string;

async function png(path: string, r: number, g: number, b: number, w = 40, h = 30): Promise<string> {
  await sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } }).png().toFile(path);
  return path;
}

/** The built-in encoder, counting the work it is asked to do. */
function counting(): Encoder & { images: number; texts: number } {
  const inner = builtinEncoder();
  const c = {
    ...inner,
    images: 0,
    texts: 0,
    embedImages: async (imgs: readonly Rgb8Image[]) => {
      c.images += imgs.length;
      return inner.embedImages(imgs);
    },
    embedTexts: async (t: readonly string[]) => {
      c.texts += t.length;
      return inner.embedTexts(t);
    },
  };
  return c;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mllmshift-embed-'));
  await png(join(dir, 'red.png'), 220, 20, 20);
  await png(join(dir, 'blue.png'), 20, 20, 220);
  await png(join(dir, 'red-copy.png'), 220, 20, 20);
  writeFileSync(join(dir, 'broken.jpg'), Buffer.from('not a jpeg'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

const item = (id: string, image: string, q: string, resp: string, ref: string): EmbedInput => ({
  id, image: { kind: 'file', path: join(dir, image) }, question: q, response: resp, reference: ref,
});

test('one row per sample, each distinct image and text encoded once, unit norm', async () => {
  const enc = counting();
  const items = [
    item('1', 'red.png', 'What colour?', 'Red.', 'It is red.'),
    item('2', 'red.png', 'Describe it.', 'A red square.', 'A red image.'),
    item('3', 'red-copy.png', 'What colour?', 'Red.', 'It is red.'),
    item('4', 'blue.png', 'What colour?', 'Blue.', 'It is blue.'),
  ];
  const r = await embedInputs(items, enc, { progress: false, batchSize: 2 });
  assert.deepEqual(r.ids, ['1', '2', '3', '4']);
  for (const m of [r.xv, r.xt, r.yHat, r.y]) {
    assert.equal(m.rows, 4);
    assert.equal(m.cols, 768);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(Math.hypot(...m.data.subarray(i * 768, (i + 1) * 768)) - 1) < 1e-5);
  }
  // red.png and red-copy.png have identical bytes: one image encoding for three samples.
  assert.equal(enc.images, 2);
  assert.deepEqual(r.stats.images, { distinct: 2, cached: 0, encoded: 2 });
  assert.deepEqual(r.xv.data.subarray(0, 768), r.xv.data.subarray(2 * 768, 3 * 768));
  // Distinct texts: 2 questions, 3 responses, 3 references.
  assert.equal(enc.texts, 2 + 3 + 3);
  // The same text gives the same row whichever role it plays.
  assert.equal(maxAbsDiff(r.yHat.data.subarray(0, 768), r.yHat.data.subarray(2 * 768, 3 * 768)), 0);
  assert.deepEqual(r.encoders.image, { id: 'builtin-image-stats', version: '1' });
});

test('with the cache, a second run does no encoder work and gives identical rows', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'mllmshift-embed-cache-'));
  try {
    const items = [item('a', 'red.png', 'Q one', 'R one', 'F one'), item('b', 'blue.png', 'Q two', 'R two', 'F two')];
    const first = counting();
    const r1 = await embedInputs(items, first, { progress: false, cache: new EmbeddingCache(cacheDir) });
    assert.equal(first.images + first.texts, 2 + 6);
    const second = counting();
    const r2 = await embedInputs(items, second, { progress: false, cache: new EmbeddingCache(cacheDir) });
    assert.equal(second.images + second.texts, 0);
    assert.deepEqual(r2.stats, { images: { distinct: 2, cached: 2, encoded: 0 }, texts: { distinct: 6, cached: 6, encoded: 0 } });
    for (const k of ['xv', 'xt', 'yHat', 'y'] as const) assert.deepEqual(r2[k].data, r1[k].data);
    // New content only encodes the new part.
    const third = counting();
    await embedInputs([...items, item('c', 'red.png', 'Q three', 'R one', 'F one')], third, { progress: false, cache: new EmbeddingCache(cacheDir) });
    assert.equal(third.images, 0);
    assert.equal(third.texts, 1);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('a corrupt or missing image is an InputError naming the sample and the file', async () => {
  await assert.rejects(
    embedInputs([item('s7', 'broken.jpg', 'q', 'r', 'f')], builtinEncoder(), { progress: false }),
    (e: unknown) => e instanceof InputError && e.message.includes('sample s7') && e.message.includes('broken.jpg') && /cannot decode/.test(e.message),
  );
  await assert.rejects(
    embedInputs([item('s8', 'nope.png', 'q', 'r', 'f')], builtinEncoder(), { progress: false }),
    (e: unknown) => e instanceof InputError && e.message.includes('sample s8') && e.message.includes('nope.png'),
  );
});

test('images given as bytes (parquet) work like files', async () => {
  const bytes = new Uint8Array(await readFile(join(dir, 'blue.png')));
  const r = await embedInputs(
    [{ id: 'x', image: { kind: 'bytes', bytes }, question: 'q', response: 'r', reference: 'f' }, item('y', 'blue.png', 'q', 'r', 'f')],
    builtinEncoder(),
    { progress: false },
  );
  assert.deepEqual(r.xv.data.subarray(0, 768), r.xv.data.subarray(768));
});

test('empty texts are rejected before any work', async () => {
  await assert.rejects(embedInputs([item('e1', 'red.png', 'q', '  ', 'f')], builtinEncoder(), { progress: false }), /sample e1: empty response/);
  await assert.rejects(embedInputs([item('e1', 'red.png', 'q', 'r', 'f')], builtinEncoder(), { progress: false, batchSize: 0 }), InputError);
});

const sample = (id: string, q: string, ref?: string): Sample => ({ id, image: { kind: 'file', path: join(dir, 'red.png') }, question: q, ...(ref !== undefined ? { referenceAnswer: ref } : {}) });
const resp = (id: string, text: string, line: number): ResponseRecord => ({ questionId: id, text, line });

test('buildEmbedInputs pairs by id and names the file/line/id of what is missing or empty', () => {
  const samples = [sample('0', 'Q0', 'F0'), sample('1', 'Q1', 'F1')];
  const ok = buildEmbedInputs(samples, 'data', [resp('1', 'R1', 1), resp('0', 'R0', 2), resp('9', 'extra', 3)], 'answers.jsonl');
  assert.deepEqual(ok.map((i) => [i.id, i.response, i.reference]), [['0', 'R0', 'F0'], ['1', 'R1', 'F1']]);
  assert.throws(() => buildEmbedInputs(samples, 'data', [resp('0', 'R0', 1)], 'answers.jsonl'), (e: unknown) => e instanceof InputError && /answers\.jsonl.*question_id 1/.test(e.message));
  assert.throws(() => buildEmbedInputs(samples, 'data', [resp('0', 'R0', 1), resp('1', '', 2)], 'answers.jsonl'), /answers\.jsonl:2: empty response "text" for question_id 1/);
  assert.throws(() => buildEmbedInputs([sample('0', 'Q0')], 'data', [resp('0', 'R0', 1)], 'a.jsonl'), /sample 0 has no reference answer; give reference responses with --references/);
  assert.throws(() => buildEmbedInputs([sample('0', ' ', 'F')], 'data', [resp('0', 'R0', 1)], 'a.jsonl'), /data: sample 0 has an empty question/);
  const withRefs = buildEmbedInputs([sample('0', 'Q0')], 'data', [resp('0', 'R0', 1)], 'a.jsonl', { records: [resp('0', 'GPT-4 says', 1)], file: 'refs.jsonl' });
  assert.equal(withRefs[0].reference, 'GPT-4 says');
  assert.throws(() => buildEmbedInputs([sample('0', 'Q0')], 'data', [resp('0', 'R0', 1)], 'a.jsonl', { records: [], file: 'refs.jsonl' }), /refs\.jsonl: no response for 1 sample/);
  assert.throws(() => buildEmbedInputs([], 'data', [], 'a.jsonl'), /data: the data set has no samples/);
});

test('auto falls back to the built-in encoders with a notice when the paper models are absent', async () => {
  const notices: string[] = [];
  const prev = process.env.MLLMSHIFT_CACHE_DIR;
  process.env.MLLMSHIFT_CACHE_DIR = join(dir, 'empty-cache');
  try {
    const enc = await loadEncoder('auto', { modelDir: join(dir, 'no-models'), notice: (m) => notices.push(m) });
    assert.equal(enc.id, 'builtin');
    assert.match(notices[0], /built-in stand-in/);
    await assert.rejects(loadEncoder('paper', { modelDir: join(dir, 'no-models'), download: false }), (e: unknown) =>
      e instanceof InputError && e.message.includes('https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/main/onnx/vision_model.onnx') && e.message.includes(join(dir, 'no-models', 'Xenova', 'clip-vit-base-patch32', 'onnx', 'vision_model.onnx')));
  } finally {
    if (prev === undefined) delete process.env.MLLMSHIFT_CACHE_DIR;
    else process.env.MLLMSHIFT_CACHE_DIR = prev;
  }
});

test('any object with embedImages/embedTexts is an Encoder; without parts, its own id/version name both halves', async () => {
  const dim = 4;
  const unit = (n: number, k: number) => ({ rows: n, cols: dim, data: Float32Array.from({ length: n * dim }, (_, i) => (i % dim === k ? 1 : 0)) });
  const custom: Encoder = {
    id: 'my-encoder',
    version: '3',
    dim,
    embedImages: async (imgs) => unit(imgs.length, 0),
    embedTexts: async (texts) => unit(texts.length, 1),
  };
  const r = await embedInputs([item('1', 'red.png', 'q', 'r', 'f'), item('2', 'blue.png', 'q2', 'r2', 'f2')], custom, { progress: false });
  assert.deepEqual(r.encoders.image, { id: 'my-encoder', version: '3' });
  assert.deepEqual([...r.xv.data.subarray(0, 4)], [1, 0, 0, 0]);
  assert.deepEqual([...r.y.data.subarray(4, 8)], [0, 1, 0, 0]);
});

test('an encoder failure mid-run rejects embedInputs; batches already encoded are kept in the cache', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'mllmshift-embed-fail-'));
  try {
    await png(join(dir, 'green.png'), 20, 200, 20);
    const inner = builtinEncoder();
    let calls = 0;
    const failing: Encoder = {
      ...inner,
      embedImages: async (imgs) => {
        calls++;
        if (calls === 2) throw new Error('encoder exploded');
        return inner.embedImages(imgs);
      },
    };
    const items = [item('1', 'red.png', 'q', 'r', 'f'), item('2', 'blue.png', 'q', 'r', 'f'), item('3', 'green.png', 'q', 'r', 'f')];
    await assert.rejects(embedInputs(items, failing, { progress: false, batchSize: 1, cache: new EmbeddingCache(cacheDir) }), /encoder exploded/);
    const counter = counting();
    await embedInputs(items, counter, { progress: false, batchSize: 1, cache: new EmbeddingCache(cacheDir) });
    assert.equal(counter.images, 2, 'the first image came from the cache');
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('the paper encoder refuses a CLIP export that is not ViT-B/32 (token count), naming the file', async () => {
  const models = join(dir, 'models-b56');
  writeTinyClip(join(models, 'Xenova', 'clip-vit-base-patch32'), 6, 1, 56);
  writeTinyXlmr(join(models, 'xlm-roberta-base'));
  await assert.rejects(paperEncoder({ modelDir: models, download: false }), (e: unknown) =>
    e instanceof InputError && /vision_model\.onnx: not a ViT-B\/32 at 224 px: last_hidden_state has 17 tokens, expected 50/.test(e.message));
  writeTinyClip(join(models, 'Xenova', 'clip-vit-base-patch32'), 6, 1, 32);
  const ok = await paperEncoder({ modelDir: models, download: false });
  assert.equal(ok.dim, 6);
  await ok.dispose?.();
});
