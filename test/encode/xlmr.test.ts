import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wrapAndTruncate, XlmrEmbeddingEncoder, XLMR_MAX_LENGTH } from '../../src/encode/xlmr.js';
import { InputError } from '../../src/errors.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { maxAbsDiff, tinyTokenId, tinyXlmrReference, writeTinyXlmr, type TinyXlmr } from './fixtures.js';

let dir: string;
let model: TinyXlmr;
let enc: XlmrEmbeddingEncoder;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mllmshift-xlmr-'));
  model = writeTinyXlmr(join(dir, 'xlm-roberta-base'));
  enc = await XlmrEmbeddingEncoder.load(model.dir);
});

after(() => rmSync(dir, { recursive: true, force: true }));

const ids = (...pieces: string[]) => pieces.map(tinyTokenId);

test('tokenises with the model tokenizer.json: <s> pieces </s> at the XLM-R ids', () => {
  assert.deepEqual(enc.tokenize('the cat sat on the mat'), [0, ...ids('▁the', '▁cat', '▁sat', '▁on', '▁the', '▁mat'), 2]);
  assert.deepEqual(enc.tokenize('the cats'), [0, ...ids('▁the', '▁cat', 's'), 2]);
  assert.deepEqual(enc.tokenize(''), [0, 2]);
});

test('E5 embedding equals an independent computation (positions from 2, LayerNorm eps, mean over 1..L)', async () => {
  const out = await enc.embedTexts(['the cat sat on the mat', 'a dog']);
  const r0 = tinyXlmrReference(model, enc.tokenize('the cat sat on the mat'));
  const r1 = tinyXlmrReference(model, enc.tokenize('a dog'));
  assert.ok(maxAbsDiff(out.data.subarray(0, 6), r0) < 1e-6, `diff ${maxAbsDiff(out.data.subarray(0, 6), r0)}`);
  assert.ok(maxAbsDiff(out.data.subarray(6, 12), r1) < 1e-6);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(Math.hypot(...out.data.subarray(i * 6, i * 6 + 6)) - 1) < 1e-6);
  // Positions starting at 0 (the BERT convention) would give something else.
  const wrongOffset = tinyXlmrReference(model, enc.tokenize('the cat sat on the mat'), 0);
  assert.ok(maxAbsDiff(out.data.subarray(0, 6), wrongOffset) > 1e-3);
});

test('the mean drops <s> and keeps </s>', async () => {
  const seq = enc.tokenize('a dog');
  const out = (await enc.embedTexts(['a dog'])).data;
  // Including <s> (mean over 0..L−1) differs; dropping </s> (mean over 1..L−2) differs too.
  const m = model;
  const layer = (t: number, id: number) => {
    const h = Array.from({ length: m.dim }, (_, j) => m.word[id * m.dim + j] + m.position[(t + 2) * m.dim + j] + m.tokenType[j]);
    const mu = h.reduce((a, b) => a + b, 0) / m.dim;
    const v = h.reduce((a, b) => a + (b - mu) ** 2, 0) / m.dim;
    return h.map((x, j) => ((x - mu) / Math.sqrt(v + m.eps)) * m.lnW[j] + m.lnB[j]);
  };
  const meanOver = (ts: number[]) => {
    const s = new Float64Array(m.dim);
    for (const t of ts) layer(t, seq[t]).forEach((x, j) => (s[j] += x));
    const n = Math.hypot(...s);
    return s.map((x) => x / n);
  };
  assert.ok(maxAbsDiff(out, meanOver([1, 2, 3])) < 1e-6);
  assert.ok(maxAbsDiff(out, meanOver([0, 1, 2, 3])) > 1e-3);
  assert.ok(maxAbsDiff(out, meanOver([1, 2])) > 1e-3);
});

test('truncation at 512 keeps <s>, the first 510 text tokens and </s>', async () => {
  const long = Array.from({ length: 600 }, (_, i) => (i % 2 ? 'cat' : 'dog')).join(' ');
  const seq = enc.tokenize(long);
  assert.equal(seq.length, XLMR_MAX_LENGTH);
  assert.equal(seq[0], 0);
  assert.equal(seq[511], 2);
  assert.equal(seq[510], tinyTokenId('▁cat'));
  const out = (await enc.embedTexts([long])).data;
  assert.ok(maxAbsDiff(out, tinyXlmrReference(model, seq)) < 1e-6);
  assert.deepEqual(wrapAndTruncate([5, 6, 7, 8], 0, 2, 4), [0, 5, 6, 2]);
  assert.deepEqual(wrapAndTruncate([5], 0, 2, 4), [0, 5, 2]);
});

test('batching and repetition do not change results', async () => {
  const texts = ['the dog sat', 'on a mat', 'the dog sat'];
  const batch = await enc.embedTexts(texts);
  for (let i = 0; i < texts.length; i++) {
    const one = await enc.embedTexts([texts[i]]);
    assert.ok(maxAbsDiff(one.data, batch.data.subarray(i * 6, i * 6 + 6)) < 1e-7);
  }
});

test('tensor names without the roberta. prefix are accepted', async () => {
  const m2 = writeTinyXlmr(join(dir, 'plain'), { prefix: '', seed: 9 });
  const e2 = await XlmrEmbeddingEncoder.load(m2.dir);
  const out = await e2.embedTexts(['the mat']);
  assert.ok(maxAbsDiff(out.data, tinyXlmrReference(m2, e2.tokenize('the mat'))) < 1e-6);
  assert.notEqual(e2.version, enc.version);
});

test('missing or malformed weights are InputErrors naming the file and tensor', async () => {
  await assert.rejects(XlmrEmbeddingEncoder.load(join(dir, 'nowhere')), (e: unknown) => e instanceof InputError && e.message.includes('model.safetensors'));
  const bad = join(dir, 'bad');
  writeTinyXlmr(bad);
  writeSafetensors(join(bad, 'model.safetensors'), { 'roberta.embeddings.position_embeddings.weight': { shape: [2, 2], data: new Float32Array(4) } });
  await assert.rejects(XlmrEmbeddingEncoder.load(bad), (e: unknown) => e instanceof InputError && e.message.includes('word_embeddings'));
  const short = join(dir, 'short');
  const s = writeTinyXlmr(short);
  writeSafetensors(join(short, 'model.safetensors'), {
    'embeddings.word_embeddings.weight': { shape: [s.vocab, s.dim], data: s.word },
    'embeddings.position_embeddings.weight': { shape: [100, s.dim], data: s.position.subarray(0, 100 * s.dim) },
    'embeddings.token_type_embeddings.weight': { shape: [1, s.dim], data: s.tokenType },
    'embeddings.LayerNorm.weight': { shape: [s.dim], data: s.lnW },
    'embeddings.LayerNorm.bias': { shape: [s.dim], data: s.lnB },
  });
  await assert.rejects(XlmrEmbeddingEncoder.load(short), (e: unknown) => e instanceof InputError && /100 position embeddings/.test(e.message));
  // A word table smaller than the tokenizer's vocabulary: caught when an id falls outside it.
  const small = join(dir, 'small');
  const m = writeTinyXlmr(small);
  writeSafetensors(join(small, 'model.safetensors'), {
    'embeddings.word_embeddings.weight': { shape: [12, m.dim], data: m.word.subarray(0, 12 * m.dim) },
    'embeddings.position_embeddings.weight': { shape: [514, m.dim], data: m.position },
    'embeddings.token_type_embeddings.weight': { shape: [1, m.dim], data: m.tokenType },
    'embeddings.LayerNorm.weight': { shape: [m.dim], data: m.lnW },
    'embeddings.LayerNorm.bias': { shape: [m.dim], data: m.lnB },
  });
  const e3 = await XlmrEmbeddingEncoder.load(small);
  assert.equal((await e3.embedTexts(['the mat'])).rows, 1);
  await assert.rejects(e3.embedTexts(['zebra']), (e: unknown) => e instanceof InputError && e.message.includes(join(small, 'model.safetensors')) && /outside the 12-row/.test(e.message));
});

test('token ids agree with transformers.js AutoTokenizer on the same folder (below the length limit)', async () => {
  const { AutoTokenizer } = await import('@huggingface/transformers');
  const auto = await AutoTokenizer.from_pretrained(model.dir, { local_files_only: true });
  for (const t of ['the cat sat on the mat', 'A  dog', 'cats', 'zebra quilt']) assert.deepEqual(enc.tokenize(t), auto.encode(t));
});
