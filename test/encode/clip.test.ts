import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkClipPreprocessorConfig, ClipImageEncoder, patchMeanPool } from '../../src/encode/clip.js';
import { clipPreprocess } from '../../src/encode/clip-preprocess.js';
import { rgb8Image } from '../../src/io/image.js';
import { InputError } from '../../src/errors.js';
import { encodeOnnxModel, OnnxDataType } from '../../src/io/onnx-proto.js';
import { cosine, maxAbsDiff, rng, tinyClipClassToken, tinyClipReference, writeTinyClip, type TinyClip } from './fixtures.js';

let dir: string;
let model: TinyClip;
let enc: ClipImageEncoder;

function image(w: number, h: number, seed: number) {
  const r = rng(seed);
  return rgb8Image(w, h, Uint8Array.from({ length: w * h * 3 }, (_, i) => Math.floor(r() * 128 + ((i % 3) * 40) + (i % (w * 3) > w * 1.5 ? 60 : 0))));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mllmshift-clip-'));
  model = writeTinyClip(join(dir, 'Xenova', 'clip-vit-base-patch32'), 8, 3);
  enc = await ClipImageEncoder.load(model.onnx, { threads: 1 });
});

after(async () => {
  await enc?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('patchMeanPool averages tokens 1..T−1 (drops token 0) and normalises', () => {
  // n = 1, T = 3, D = 2: token 0 = [100, 100] must not count; mean of [1, 0] and [3, 0] = [2, 0] → [1, 0].
  const m = patchMeanPool(new Float32Array([100, 100, 1, 0, 3, 0]), 1, 3, 2);
  assert.deepEqual([...m.data], [1, 0]);
  const m2 = patchMeanPool(new Float32Array([0, 0, 3, 4, 3, 4, 9, 9, 0, 1, 0, 1]), 2, 3, 2);
  assert.deepEqual([...m2.data].map((v) => +v.toFixed(6)), [0.6, 0.8, 0, 1]);
});

test('loads the export layout and reads last_hidden_state shape [batch, 50, D]', () => {
  assert.equal(enc.tokens, 50);
  assert.equal(enc.dim, 8);
  assert.match(enc.version, /^e4\.1;weights=[0-9a-f]{12}$/);
});

test('E4 embedding equals an independent computation: patch tokens only, unit norm', async () => {
  const img = image(224, 224, 11);
  const out = await enc.embedImages([img]);
  const ref = tinyClipReference(model, clipPreprocess([img]));
  assert.ok(maxAbsDiff(out.data, ref) < 2e-5, `max diff ${maxAbsDiff(out.data, ref)}`);
  assert.ok(Math.abs(Math.hypot(...out.data) - 1) < 1e-6);
  // Including the class token would give a different vector: the pooling really drops it.
  const cls = tinyClipClassToken(model, clipPreprocess([img]));
  const withCls = ref.map((v, j) => v * 49 + cls[j]);
  assert.ok(cosine(out.data, withCls) < 0.9999);
});

test('batching does not change the result; non-square images are resized and cropped first', async () => {
  const imgs = [image(224, 224, 1), image(320, 240, 2), image(200, 500, 3)];
  const batch = await enc.embedImages(imgs);
  for (let i = 0; i < imgs.length; i++) {
    const one = await enc.embedImages([imgs[i]]);
    assert.ok(maxAbsDiff(one.data, batch.data.subarray(i * 8, (i + 1) * 8)) < 1e-6);
    const ref = tinyClipReference(model, clipPreprocess([imgs[i]]));
    assert.ok(maxAbsDiff(one.data, ref) < 2e-5);
  }
  assert.equal((await enc.embedImages([])).rows, 0);
  // Pipelined runs of 2 (preprocessing overlapped with inference) give the same rows, in order.
  const micro = await ClipImageEncoder.load(model.onnx, { threads: 1, microBatch: 2 });
  try {
    const five = [...imgs, image(260, 224, 4), image(224, 400, 5)];
    const piped = await micro.embedImages(five);
    const whole = await enc.embedImages(five);
    assert.equal(piped.rows, 5);
    assert.ok(maxAbsDiff(piped.data, whole.data) < 1e-6);
  } finally {
    await micro.dispose();
  }
  await assert.rejects(ClipImageEncoder.load(model.onnx, { microBatch: 0 }), RangeError);
});

test('an ONNX file without pixel_values/last_hidden_state is rejected naming the file', async () => {
  const p = join(dir, 'other.onnx');
  writeFileSync(p, encodeOnnxModel({
    name: 'g', inputs: [{ name: 'x', elemType: OnnxDataType.FLOAT, shape: [1] }], outputs: [{ name: 'y', elemType: OnnxDataType.FLOAT, shape: [1] }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }], initializers: [],
  }));
  await assert.rejects(ClipImageEncoder.load(p), (e: unknown) => e instanceof InputError && e.message.includes(p) && e.message.includes('pixel_values'));
});

test('a corrupt ONNX file is an InputError naming the file', async () => {
  const p = join(dir, 'corrupt.onnx');
  writeFileSync(p, Buffer.from('this is not a protobuf at all'));
  await assert.rejects(ClipImageEncoder.load(p), (e: unknown) => e instanceof InputError && e.message.startsWith(p));
  await assert.rejects(ClipImageEncoder.load(join(dir, 'missing.onnx')), InputError);
});

test('preprocessor_config.json must describe E4 preprocessing (224, CLIP mean/std) when present', () => {
  assert.doesNotThrow(() => checkClipPreprocessorConfig(model.dir));
  assert.doesNotThrow(() => checkClipPreprocessorConfig(join(dir, 'no-such-folder')));
  const other = join(dir, 'vit-l-336');
  mkdirSync(other, { recursive: true });
  writeFileSync(join(other, 'preprocessor_config.json'), JSON.stringify({ crop_size: { height: 336, width: 336 }, size: { shortest_edge: 336 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.26862954, 0.26130258, 0.27577711] }));
  assert.throws(() => checkClipPreprocessorConfig(other), (e: unknown) => e instanceof InputError && /crop_size 336/.test(e.message) && /image_mean/.test(e.message) && e.message.startsWith(join(other, 'preprocessor_config.json')));
});

test('the tiny folder is in the layout transformers.js loads, and its last_hidden_state pools to our output', async () => {
  const { CLIPVisionModelWithProjection, Tensor } = await import('@huggingface/transformers');
  const tj = await CLIPVisionModelWithProjection.from_pretrained(model.dir, { local_files_only: true, dtype: 'fp32', device: 'cpu' });
  try {
    const imgs = [image(224, 224, 21), image(300, 260, 22)];
    const px = clipPreprocess(imgs);
    const out = await tj({ pixel_values: new Tensor('float32', px, [2, 3, 224, 224]) });
    assert.deepEqual(out.last_hidden_state.dims, [2, 50, 8]);
    assert.deepEqual(out.image_embeds.dims, [2, 4]);
    const pooled = patchMeanPool(out.last_hidden_state.data as Float32Array, 2, 50, 8);
    const ours = await enc.embedImages(imgs);
    assert.ok(maxAbsDiff(pooled.data, ours.data) < 1e-6);
  } finally {
    await tj.dispose();
  }
});
