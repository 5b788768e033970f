import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import Database from 'better-sqlite3';
import { demoBenchmark } from '../../src/demo/scenes.js';
import { SimulatedEndpoint } from '../../src/demo/simulated-endpoint.js';
import { writeDatasetDir } from '../../src/data/dataset-dir.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { tempDir } from '../helpers/tmp.js';
import { runCliAsync } from '../helpers/cli.js';
import { writeSeededClub } from '../helpers/estimator.js';


function answerLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '') : [];
}

test('run: killed with SIGKILL during inference, rerun finishes with exactly one answer per sample', async () => {
  const dir = tempDir();
  const bench = await demoBenchmark(3, 7);
  writeDatasetDir(join(dir, 'coco'), bench.samples, { name: 'llava_bench_coco' });
  // A slow endpoint (150 ms per answer, one request at a time) so the kill lands mid-stage.
  const endpoint = new SimulatedEndpoint({ images: new Map(), questions: new Map() }, bench.questions, 150);
  const baseUrl = await endpoint.start();
  try {
    const config = {
      name: 'resume test',
      out: 'out',
      data: { id: 'coco', id_name: 'llava_bench_coco', scenarios: { names: ['llava_bench_coco', 'llava_bench_coco_sr_4'] } },
      model: { name: 'sim-mllm', base_url: baseUrl, concurrency: 1, max_tokens: 64, timeout_s: 30 },
      encoders: { kind: 'builtin' },
      estimator: { train: { epochs: 2, batch_size: 8 } },
      analysis: { bootstrap: 0, permutations: 0 },
      report: { html: false },
    };
    const cfg = join(dir, 'run.yaml');
    writeFileSync(cfg, stringify(config));
    const answers = join(dir, 'out', 'responses', 'llava_bench_coco.jsonl');
    const killed = await runCliAsync(['run', cfg], {
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (answerLines(answers).length >= 3) {
            clearInterval(timer);
            child.kill('SIGKILL');
          }
        }, 20);
      },
    });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const partial = answerLines(answers).length;
    assert.ok(partial >= 3 && partial < 9, `${partial} answers before the kill`);
    const requestsBefore = endpoint.requests;

    const resumed = await runCliAsync(['run', cfg]);
    assert.equal(resumed.code, 0, resumed.stderr);
    for (const name of ['llava_bench_coco', 'llava_bench_coco_sr_4']) {
      const lines = answerLines(join(dir, 'out', 'responses', `${name}.jsonl`)).map((l) => JSON.parse(l) as { question_id: string });
      assert.equal(lines.length, 9, name);
      assert.equal(new Set(lines.map((l) => l.question_id)).size, 9, `${name}: no duplicates`);
    }
    // Only what was missing was requested again (the in-flight request at most once more).
    assert.ok(endpoint.requests - requestsBefore <= 18 - partial + 1, `${endpoint.requests - requestsBefore} requests after resuming`);
    const db = new Database(join(dir, 'out', 'run.sqlite'), { readonly: true });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM responses').get() as { n: number }).n, 18);
    // The estimator stage records the held-out loss of the epoch it kept (bestEpoch is 1-based).
    const stage = db.prepare("SELECT detail FROM stages WHERE stage = 'estimator'").get() as { detail: string };
    const detail = JSON.parse(stage.detail) as { bestEpoch: number; valLoss: number };
    const meta = readSafetensorsHeader(join(dir, 'out', 'estimator.safetensors')).metadata;
    const curves = JSON.parse(meta.curves) as { val_loss: number[] };
    assert.equal(detail.valLoss, curves.val_loss[detail.bestEpoch - 1]);
    assert.equal(detail.valLoss, Math.min(...curves.val_loss));
    db.close();
    const results = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as { EMID: Record<string, number> };
    assert.deepEqual(Object.keys(results.EMID), ['llava_bench_coco_sr_4']);

    const third = await runCliAsync(['run', cfg]);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /0 stage step\(s\) ran|1 stage step\(s\) ran/);
  } finally {
    await endpoint.stop();
  }
});

test('run: a config error exits 2 with one line naming the file and field', async () => {
  const dir = tempDir();
  const cfg = join(dir, 'bad.yaml');
  writeFileSync(cfg, stringify({ name: 'x', data: { id: 'd', scenarios: { grid: 'synthetic' } }, model: { name: 'm', base_url: 'nope' }, estimator: { checkpoint: 'c.pt' } }));
  const r = await runCliAsync(['run', cfg]);
  assert.equal(r.code, 2);
  assert.match(r.stderr.trim(), /bad\.yaml: model\.base_url/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('run: references from a reference model endpoint, a PyTorch CLUB checkpoint (the authors\' format) as estimator', async () => {
  const dir = tempDir();
  const bench = await demoBenchmark(2, 11);
  writeDatasetDir(join(dir, 'coco'), bench.samples, { name: 'llava_bench_coco' });
  const endpoint = new SimulatedEndpoint({ images: new Map(), questions: new Map() }, bench.questions);
  const baseUrl = await endpoint.start();
  try {
    const config = {
      name: 'reference model',
      out: 'out',
      data: { id: 'coco', id_name: 'llava_bench_coco', scenarios: { names: ['llava_bench_coco', 'llava_bench_coco_KeyboardAug_3'] } },
      model: { name: 'sim-mllm', base_url: baseUrl, max_tokens: 64 },
      references: { source: 'model', model: { name: 'sim-reference', base_url: baseUrl, max_tokens: 64 } },
      encoders: { kind: 'builtin' },
      // A .pt estimator stands for the paper encoders; on built-in embeddings this is plumbing only, so the mismatch is allowed.
      estimator: { checkpoint: writeSeededClub(dir, 'pt'), allow_encoder_mismatch: true },
      analysis: { bootstrap: 0, permutations: 0 },
      report: { html: false },
    };
    const cfg = join(dir, 'run.yaml');
    writeFileSync(cfg, stringify(config));
    const r = await runCliAsync(['run', cfg]);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['llava_bench_coco', 'llava_bench_coco_KeyboardAug_3']) {
      assert.equal(answerLines(join(dir, 'out', 'references', `${name}.jsonl`)).length, 6, name);
    }
    const results = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as { run: { estimator: string }; EMI: Record<string, number> };
    assert.match(results.run.estimator, /seeded-club\.pt$/);
    assert.equal(Object.keys(results.EMI).length, 2);
    const db = new Database(join(dir, 'out', 'run.sqlite'), { readonly: true });
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM responses WHERE role = 'reference'").get() as { n: number }).n, 12);
    db.close();
  } finally {
    await endpoint.stop();
  }
});
