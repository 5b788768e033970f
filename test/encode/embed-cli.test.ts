import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readEmbeddingSet } from '../../src/io/embedding-set.js';
import { embedDataset } from '../../src/encode/embed-dataset.js';
import { builtinEncoder } from '../../src/encode/embed.js';
import { InputError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { writeSeededClub } from '../helpers/estimator.js';
import { writeTinyClip, writeTinyXlmr } from './fixtures.js';

let dir: string;
let env: Record<string, string>;

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function dataset(name: string, rows: { id: string; image: string; question: string; ref: string }[]): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'samples.jsonl'), jsonl(rows.map((r) => ({ id: r.id, image: r.image, question: r.question, reference_answer: r.ref }))));
  writeFileSync(join(d, 'manifest.json'), JSON.stringify({ name }));
  return d;
}

function answers(name: string, rows: [string, string][]): string {
  const p = join(dir, name);
  writeFileSync(p, jsonl(rows.map(([id, text]) => ({ question_id: id, text, answer_id: 'x', model_id: 'm', metadata: {} }))));
  return p;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mllmshift-embed-cli-'));
  env = { MLLMSHIFT_CACHE_DIR: join(dir, 'cache'), HF_HUB_OFFLINE: '1' };
  const ds = dataset('coco', [
    { id: '0', image: 'a.png', question: 'What is in the picture?', ref: 'A red square.' },
    { id: '1', image: 'a.png', question: 'Describe the colours.', ref: 'Mostly red.' },
    { id: '2', image: 'b.jpg', question: 'What is in the picture?', ref: 'A blue square.' },
  ]);
  await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toFile(join(ds, 'a.png'));
  await sharp({ create: { width: 50, height: 80, channels: 3, background: { r: 30, g: 30, b: 200 } } }).jpeg().toFile(join(ds, 'b.jpg'));
  answers('answers.jsonl', [['0', 'the cat sat'], ['1', 'red and a mat'], ['2', 'a dog'], ['99', 'extra']]);
  const bad = dataset('bad', [{ id: 'q5', image: 'broken.png', question: 'q', ref: 'r' }]);
  writeFileSync(join(bad, 'broken.png'), Buffer.from('definitely not a png'));
  writeTinyClip(join(dir, 'models', 'Xenova', 'clip-vit-base-patch32'), 6, 2);
  writeTinyXlmr(join(dir, 'models', 'xlm-roberta-base'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('embed --encoders builtin writes a valid embedding set; a second run is served from the cache', () => {
  const out = join(dir, 'llava_bench_coco.safetensors');
  const args = ['embed', '--dataset', join(dir, 'coco'), '--responses', join(dir, 'answers.jsonl'), '--out', out, '--encoders', 'builtin', '--json', '--batch-size', '2'];
  const r = runCli(args, env);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.stats.images, { distinct: 2, cached: 0, encoded: 2 });
  const set = readEmbeddingSet(out);
  assert.equal(set.xv.rows, 3);
  assert.equal(set.xv.cols, 768);
  assert.equal(set.metadata.format, 'mllmshift.embedding-set/1');
  assert.equal(set.metadata.scenario, 'llava_bench_coco');
  assert.deepEqual(set.sampleIds, ['0', '1', '2']);
  assert.deepEqual(JSON.parse(set.metadata.encoders).text, { id: 'builtin-text-hashed-ngrams', version: '1' });
  const again = runCli(args, env);
  assert.equal(again.code, 0, again.stderr);
  const s2 = JSON.parse(again.stdout);
  assert.equal(s2.stats.images.encoded + s2.stats.texts.encoded, 0);
  assert.deepEqual(readEmbeddingSet(out).y.data, set.y.data);
  // A .pt estimator is the authors' (trained on the paper encoders): refused on built-in embeddings.
  const refused = runCli(['emi', out, '--estimator', writeSeededClub(dir, 'pt'), '--json'], env);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /embedded with encoders \(image builtin-image-stats, text builtin-text-hashed-ngrams\) but the estimator .*\.pt was trained for \(image clip-vit-b32-patch-mean/);
  // The set feeds an estimator of the paper's shape as it is (768-d).
  const emi = runCli(['emi', out, '--estimator', writeSeededClub(dir), '--json'], env);
  assert.equal(emi.code, 0, emi.stderr);
  const res = JSON.parse(emi.stdout);
  assert.ok(Number.isFinite(res.EMI.llava_bench_coco));
  assert.equal(res.n.llava_bench_coco, 3);
});

test('embed --encoders paper with a --model-dir runs CLIP + XLM-R and records both', () => {
  const out = join(dir, 'paper.safetensors');
  writeTinyXlmr(join(dir, 'models6', 'xlm-roberta-base'), { dim: 6 });
  writeTinyClip(join(dir, 'models6', 'Xenova', 'clip-vit-base-patch32'), 6, 2);
  const r = runCli(['embed', '--dataset', join(dir, 'coco'), '--responses', join(dir, 'answers.jsonl'), '--out', out, '--encoders', 'paper', '--model-dir', join(dir, 'models6'), '--threads', '1', '--no-cache'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 samples, dim 6, encoders paper/);
  const set = readEmbeddingSet(out);
  const enc = JSON.parse(set.metadata.encoders);
  assert.equal(enc.image.id, 'clip-vit-b32-patch-mean');
  assert.equal(enc.text.id, 'xlm-roberta-base-embedding-mean');
  assert.match(enc.text.version, /^e5\.2;max=512;weights=/);
  // Samples 0 and 1 share an image.
  assert.deepEqual(set.xv.data.subarray(0, 6), set.xv.data.subarray(6, 12));
  // --no-cache: nothing was written for these encoders.
  assert.ok(!existsSync(join(dir, 'cache', 'embeddings', 'image', 'clip-vit-b32-patch-mean')));
  assert.ok(!existsSync(join(dir, 'cache', 'embeddings', 'text', 'xlm-roberta-base-embedding-mean')));
});

test('bad input exits 2 naming the file or id', () => {
  const base = ['embed', '--encoders', 'builtin', '--out', join(dir, 'x.safetensors'), '--quiet'];
  const corrupt = runCli([...base, '--dataset', join(dir, 'bad'), '--responses', answers('q5.jsonl', [['q5', 'fine']])], env);
  assert.equal(corrupt.code, 2);
  assert.match(corrupt.stderr, /sample q5: .*broken\.png: cannot decode image/);
  const offline = runCli(['embed', '--encoders', 'paper', '--dataset', join(dir, 'coco'), '--responses', join(dir, 'answers.jsonl'), '--out', join(dir, 'y.safetensors'), '--model-dir', join(dir, 'empty-models')], env);
  assert.equal(offline.code, 2);
  assert.match(offline.stderr, /CLIP ViT-B\/32 vision tower \(ONNX\) not found/);
  assert.match(offline.stderr, /resolve\/main\/onnx\/vision_model\.onnx/);
  assert.match(offline.stderr, /mllmshift models pull --model-dir/);
});

test('models status shows where each model resolves, or what to download', () => {
  const r = runCli(['models', 'status', '--model-dir', join(dir, 'models'), '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.models[0].found, join(dir, 'models', 'Xenova', 'clip-vit-base-patch32'));
  assert.equal(s.models[1].found, join(dir, 'models', 'xlm-roberta-base'));
});

test('embedDataset: ids missing from the answer file and empty answers are InputErrors (exit 2) naming file and id', async () => {
  const base = { dataset: join(dir, 'coco'), out: join(dir, 'z.safetensors'), encoder: builtinEncoder(), progress: false };
  await assert.rejects(embedDataset({ ...base, responses: answers('partial.jsonl', [['0', 'a'], ['2', 'b']]) }), (e: unknown) =>
    e instanceof InputError && e.exitCode === 2 && /partial\.jsonl: no response for 1 sample\(s\) \(question_id 1\)/.test(e.message));
  await assert.rejects(embedDataset({ ...base, responses: answers('empty.jsonl', [['0', 'a'], ['1', '   '], ['2', 'b']]) }), /empty\.jsonl:2: empty response "text" for question_id 1/);
  await assert.rejects(embedDataset({ ...base, responses: join(dir, 'answers.jsonl'), references: answers('refs.jsonl', [['0', 'r'], ['1', 'r']]) }), /refs\.jsonl: no response for 1 sample\(s\) \(question_id 2\)/);
  await assert.rejects(embedDataset({ ...base, responses: join(dir, 'answers.jsonl'), out: join(dir, 'z.npz') }), /give a path ending in \.safetensors/);
  const s = await embedDataset({ ...base, responses: join(dir, 'answers.jsonl'), references: answers('refs2.jsonl', [['0', 'r0'], ['1', 'r1'], ['2', 'r2']]), scenario: 'custom' });
  assert.equal(s.scenario, 'custom');
  assert.equal(readEmbeddingSet(join(dir, 'z.safetensors')).metadata.scenario, 'custom');
});
