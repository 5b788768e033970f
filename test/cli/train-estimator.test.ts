import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeEmbeddingSet } from '../../src/io/embedding-set.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { loadClubCheckpoint } from '../../src/io/estimator-checkpoint.js';
import { normalizeRows, type Matrix } from '../../src/core/matrix.js';
import { Rng } from '../../src/core/random.js';

const dir = tempDir();

function makeSet(name: string, n: number, d: number, seed: number): string {
  const rng = new Rng(seed);
  const m = (f: (i: number, j: number) => number): Matrix => normalizeRows({ rows: n, cols: d, data: Float64Array.from({ length: n * d }, (_, k) => f(Math.floor(k / d), k % d)) });
  const xv = m(() => rng.normal());
  const xt = m(() => rng.normal());
  // Responses depend on the query so that q(y|x) has something to learn.
  const y = m((i, j) => xv.data[i * d + j] + xt.data[i * d + j] + 0.5 * rng.normal() / Math.sqrt(d));
  const yHat = m((i, j) => xv.data[i * d + j] + 0.8 * rng.normal() / Math.sqrt(d));
  const path = join(dir, `${name}.safetensors`);
  writeEmbeddingSet(path, { xv, xt, yHat, y, scenario: name, sampleIds: Array.from({ length: n }, (_, i) => String(i)), encoders: { test: 'random' } });
  return path;
}

const a = makeSet('set_a', 120, 16, 1);
const b = makeSet('set_b', 80, 16, 2);

test('train-estimator: same seed → same weights; metadata has config and curves; emi accepts the result', () => {
  const out1 = join(dir, 'e1.safetensors');
  const out2 = join(dir, 'e2.safetensors');
  const args = (out: string) => ['train-estimator', a, b, '--out', out, '--epochs', '5', '--batch-size', '32', '--hidden', '12', '--pairs', 'both', '--seed', '7', '--json'];
  const r1 = runCli(args(out1));
  assert.equal(r1.code, 0, r1.stderr);
  const r2 = runCli(args(out2));
  assert.equal(r2.code, 0, r2.stderr);
  const s = JSON.parse(r1.stdout);
  // 2 pairs per row × 200 rows, 10 % held out.
  assert.equal(s.train_rows + s.val_rows, 400);
  assert.equal(s.val_rows, 40);
  const t1 = readSafetensors(out1);
  const t2 = readSafetensors(out2);
  for (const [name, v] of t1.tensors) assert.deepEqual(v.data, t2.tensors.get(name)!.data, name);
  assert.deepEqual(t1.tensors.get('p_mu.0.weight')!.shape, [12, 16]);
  const md = t1.header.metadata;
  assert.equal(md.estimator, 'club');
  assert.equal(md.bounded_logvar, 'true');
  assert.equal(md.pairs, 'both');
  assert.deepEqual(JSON.parse(md.sets), ['set_a', 'set_b']);
  const curves = JSON.parse(md.curves);
  assert.equal(curves.val_loss.length, s.epochs_run);
  assert.equal(JSON.parse(md.training_config).seed, 7);
  assert.equal(Number(md.best_epoch), s.best_epoch);
  const net = loadClubCheckpoint(out1).network;
  assert.equal(net.muW2.rows, 16);
  const emi = runCli(['emi', a, '--estimator', out1, '--json']);
  assert.equal(emi.code, 0, emi.stderr);
  assert.ok(Number.isFinite(JSON.parse(emi.stdout).EMI.set_a));
});

test('train-estimator: the calibrated variant saves an unbounded log-variance; bad usage exits 2', () => {
  const out = join(dir, 'cal.safetensors');
  const r = runCli(['train-estimator', a, '--out', out, '--epochs', '3', '--hidden', '8', '--variant', 'calibrated']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*cal\.safetensors: best epoch/);
  assert.equal(readSafetensors(out).header.metadata.bounded_logvar, 'false');
  assert.equal(loadClubCheckpoint(out).network.boundedLogvar, false);
  const bad = runCli(['train-estimator', a, '--out', join(dir, 'x.pt')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /must be a \.safetensors file/);
  const lr = runCli(['train-estimator', a, '--out', out, '--lr', '-1']);
  assert.equal(lr.code, 2);
  assert.match(lr.stderr, /--lr must be a positive number/);
});
