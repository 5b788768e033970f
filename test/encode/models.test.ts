import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCacheDir, findModel, missingModelError, modelCandidates, modelSpec, pullModel } from '../../src/encode/models.js';
import { RemoteError } from '../../src/errors.js';

test('cache directory: MLLMSHIFT_CACHE_DIR, else XDG_CACHE_HOME/mllmshift, else ~/.cache/mllmshift', () => {
  assert.equal(defaultCacheDir({ MLLMSHIFT_CACHE_DIR: '/c' }), '/c');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/mllmshift');
  assert.match(defaultCacheDir({}), /\.cache\/mllmshift$/);
});

test('a --model-dir is searched as DIR/<repo>, DIR/<name>, DIR, then the models cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-models-'));
  try {
    const env = { MLLMSHIFT_CACHE_DIR: join(dir, 'cache') };
    const xlmr = modelSpec('xlmr');
    assert.deepEqual(modelCandidates(xlmr, '/m', env), ['/m/FacebookAI/xlm-roberta-base', '/m/xlm-roberta-base', '/m', join(dir, 'cache', 'models', 'FacebookAI/xlm-roberta-base')]);
    assert.equal(findModel(xlmr, dir, env), undefined);
    writeFileSync(join(dir, 'model.safetensors'), 'x');
    assert.equal(findModel(xlmr, dir, env), undefined, 'tokenizer.json is required too');
    writeFileSync(join(dir, 'tokenizer.json'), '{}');
    assert.equal(findModel(xlmr, dir, env), dir);
    const cached = join(dir, 'cache', 'models', 'FacebookAI', 'xlm-roberta-base');
    mkdirSync(cached, { recursive: true });
    writeFileSync(join(cached, 'model.safetensors'), 'x');
    writeFileSync(join(cached, 'tokenizer.json'), '{}');
    assert.equal(findModel(xlmr, undefined, env), cached);
    const err = missingModelError(modelSpec('clip'), '/m');
    assert.match(err.message, /https:\/\/huggingface\.co\/Xenova\/clip-vit-base-patch32\/resolve\/main\/onnx\/vision_model\.onnx → \/m\/Xenova\/clip-vit-base-patch32\/onnx\/vision_model\.onnx/);
    assert.equal(err.exitCode, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pull downloads required and optional files into <dir>/<repo>/, skipping present ones; optional 404s are fine', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-pull-'));
  const served: string[] = [];
  const files: Record<string, string> = {
    '/Xenova/clip-vit-base-patch32/resolve/main/onnx/vision_model.onnx': 'ONNX-BYTES'.repeat(1000),
    '/Xenova/clip-vit-base-patch32/resolve/main/config.json': '{"model_type":"clip"}',
  };
  const server = createServer((req, res) => {
    served.push(req.url ?? '');
    const body = files[req.url ?? ''];
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const got = await pullModel(modelSpec('clip'), { modelDir: dir, endpoint, progress: false });
    assert.deepEqual(got.map((f) => [f.file, f.status]), [['onnx/vision_model.onnx', 'downloaded'], ['config.json', 'downloaded'], ['preprocessor_config.json', 'absent-optional']]);
    const onnx = join(dir, 'Xenova', 'clip-vit-base-patch32', 'onnx', 'vision_model.onnx');
    assert.equal(readFileSync(onnx, 'utf8'), files['/Xenova/clip-vit-base-patch32/resolve/main/onnx/vision_model.onnx']);
    assert.ok(!existsSync(`${onnx}.part`));
    served.length = 0;
    const again = await pullModel(modelSpec('clip'), { modelDir: dir, endpoint, progress: false });
    assert.equal(again[0].status, 'present');
    assert.deepEqual(served, ['/Xenova/clip-vit-base-patch32/resolve/main/preprocessor_config.json']);
    // A missing required file is a RemoteError naming the URL, and leaves nothing behind.
    await assert.rejects(pullModel(modelSpec('xlmr'), { modelDir: dir, endpoint, progress: false }), (e: unknown) => e instanceof RemoteError && /xlm-roberta-base\/resolve\/main\/model\.safetensors: HTTP 404/.test(e.message));
    assert.ok(!existsSync(join(dir, 'FacebookAI', 'xlm-roberta-base', 'model.safetensors')));
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await assert.rejects(pullModel(modelSpec('clip'), { modelDir: join(tmpdir(), 'never'), endpoint, progress: false }), RemoteError);
});
