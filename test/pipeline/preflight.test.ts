/**
 * `run`'s preflight (issue 13, "wasted work"): local problems stop the run with exit 2 before
 * any request reaches the endpoint; `run --check` makes only the GET /models probes; a dead
 * endpoint is exit 1 naming it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { demoBenchmark } from '../../src/demo/scenes.js';
import { writeDatasetDir } from '../../src/data/dataset-dir.js';
import { tempDir } from '../helpers/tmp.js';
import { runCliAsync } from '../helpers/cli.js';

/** A local endpoint that counts every request: /models answers 200, anything else 500. */
const seen: string[] = [];
const server = createServer((req, res) => {
  seen.push(`${req.method} ${req.url}`);
  req.resume();
  req.on('end', () => {
    if (req.url?.endsWith('/models')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[]}');
    else res.writeHead(500).end('{}');
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
after(() => new Promise<void>((r) => server.close(() => r())));

const dir = tempDir();
const bench = await demoBenchmark(2, 5);
writeDatasetDir(join(dir, 'coco'), bench.samples, { name: 'llava_bench_coco' });
writeDatasetDir(join(dir, 'ood'), bench.samples, { name: 'ood' });

function config(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'preflight test',
    out: 'out',
    data: { id: 'coco', ood: { ood: 'ood' } },
    model: { name: 'm', base_url: baseUrl, timeout_s: 10 },
    judge: { name: 'j', base_url: baseUrl, timeout_s: 10 },
    encoders: { kind: 'builtin' },
    estimator: { train: { epochs: 2, batch_size: 8 } },
    analysis: { bootstrap: 0, permutations: 0 },
    report: { html: false },
    ...over,
  };
}

let n = 0;
function writeConfig(c: Record<string, unknown>): string {
  const path = join(dir, `run-${n++}.yaml`);
  writeFileSync(path, stringify(c));
  return path;
}

async function expectLocalFailure(c: Record<string, unknown>, mention: RegExp, env?: Record<string, string>): Promise<void> {
  seen.length = 0;
  const cfg = writeConfig(c);
  const r = await runCliAsync(['run', cfg], env ? { env } : {});
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, mention);
  assert.ok(r.stderr.includes(cfg), `the error names the config file: ${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.deepEqual(seen, [], 'no request reached the endpoint');
}

test('preflight: encoders: paper with an empty models cache → exit 2 naming the encoder, no request', async () => {
  const cache = tempDir('empty-cache-');
  await expectLocalFailure(config({ encoders: { kind: 'paper' } }), /encoders\.kind: paper: .*CLIP ViT-B\/32.* not found/, { MLLMSHIFT_CACHE_DIR: cache, HF_HUB_OFFLINE: '1' });
});

test('preflight: a mistyped estimator checkpoint → exit 2 naming the path, no request', async () => {
  await expectLocalFailure(config({ estimator: { checkpoint: 'clb.safetensors' } }), /estimator\.checkpoint: .*clb\.safetensors: no such file/);
});

test('preflight: a missing OOD data set → exit 2 naming it, no request', async () => {
  await expectLocalFailure(config({ data: { id: 'coco', ood: { ood: 'ood', foggy: 'no-such-set' } } }), /data\.ood\.foggy: .*no-such-set: no such file or directory/);
});

test('preflight: an unreadable image → exit 2 naming the sample, no request', async () => {
  const broken = join(dir, 'broken');
  writeDatasetDir(broken, bench.samples, { name: 'broken' });
  const images = readdirSync(join(broken, 'images'));
  writeFileSync(join(broken, 'images', images[0]), '');
  await expectLocalFailure(config({ data: { id: 'coco', ood: { broken: 'broken' } } }), /data\.ood\.broken: sample .*image is empty/);
});

test('run --check on a valid config: exit 0, only the GET /models probes, nothing written', async () => {
  seen.length = 0;
  const sub = join(dir, 'check');
  mkdirSync(sub);
  const cfg = join(sub, 'run.yaml');
  writeFileSync(cfg, stringify({ ...config(), data: { id: '../coco', ood: { ood: '../ood' } } }));
  const r = await runCliAsync(['run', '--check', cfg]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(seen, ['GET /v1/models', 'GET /v1/models'], 'one probe per endpoint (model, judge), no chat request');
  assert.deepEqual(readdirSync(sub), ['run.yaml'], 'nothing written (not even the output folder)');
  assert.match(r.stderr, /ready to run/);
});

test('preflight: a dead endpoint → exit 1 naming it, before any stage ran', async () => {
  // A port that was listening and is closed now: connections are refused.
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  seen.length = 0;
  const cfg = writeConfig(config({ judge: { name: 'j', base_url: `http://127.0.0.1:${port}/v1`, timeout_s: 10 } }));
  const r = await runCliAsync(['run', cfg], { timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`judge\\.base_url: http://127\\.0\\.0\\.1:${port}/v1: cannot connect`));
  assert.deepEqual(seen, ['GET /v1/models'], 'only the model endpoint probe, no chat request');
  assert.ok(!existsSync(join(dir, 'out', 'responses')), 'no stage ran');
});

test('preflight: an endpoint refusing the key (401) → exit 1 naming it, no chat request', async () => {
  const refusing = createServer((req, res) => { req.resume(); res.writeHead(401).end('{}'); });
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/v1`;
    const cfg = writeConfig(config({ model: { name: 'm', base_url: url, api_key_env: 'PREFLIGHT_TEST_KEY', timeout_s: 10 } }));
    const r = await runCliAsync(['run', cfg], { env: { PREFLIGHT_TEST_KEY: 'sk-secret-123' } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /model\.base_url: .*HTTP 401/);
    assert.ok(!r.stderr.includes('sk-secret-123'), 'the key is not printed');
  } finally {
    await new Promise<void>((r) => refusing.close(() => r()));
  }
});
