/** `emi`/`emid --bootstrap B --permutations B`: the interval and p-value fields of the results JSON. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeSeededClub } from '../helpers/estimator.js';
import { writeEmbeddingSet } from '../../src/io/embedding-set.js';
import { normalizeRows } from '../../src/core/matrix.js';
import { Rng } from '../../src/core/random.js';

const dir = tempDir();
function makeSet(name: string, n: number, seed: number): string {
  const rng = new Rng(seed);
  const m = () => normalizeRows({ rows: n, cols: 768, data: Float64Array.from({ length: n * 768 }, () => rng.normal()) });
  const path = join(dir, `${name}.safetensors`);
  writeEmbeddingSet(path, { xv: m(), xt: m(), yHat: m(), y: m(), scenario: name, sampleIds: Array.from({ length: n }, (_, i) => `q${i}`), encoders: {} });
  return path;
}
const id = makeSet('id_set', 16, 1);
const oodA = makeSet('ood_a', 12, 2);
const oodB = makeSet('ood_b', 14, 3);
const CLUB = writeSeededClub(dir);

test('emid --bootstrap --permutations adds intervals and p-values, keeps every existing key', () => {
  const base = runCli(['emid', '--id', id, '--ood', oodA, oodB, '--estimator', CLUB, '--seed', '3', '--json']);
  assert.equal(base.code, 0, base.stderr);
  const r = runCli(['emid', '--id', id, '--ood', oodA, oodB, '--estimator', CLUB, '--bootstrap', '60', '--permutations', '49', '--seed', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const a = JSON.parse(base.stdout);
  const j = JSON.parse(r.stdout);
  for (const k of Object.keys(a)) assert.deepEqual(j[k], a[k], `key ${k} changed`);
  for (const name of ['ood_a', 'ood_b']) {
    const [lo, hi] = j.EMID_CI95[name];
    assert.ok(lo <= hi);
    assert.ok(j.EMID_UB_CI95[name][0] <= j.EMID_UB_CI95[name][1]);
    for (const t of ['visual', 'text', 'idOutput', 'oodOutput']) assert.equal(j.JSD_CI95[name][t].length, 2);
    const p = j.EMID_PermutationPval[name];
    // With B = 49 the smallest possible p-value is 1/50.
    assert.ok(p >= 1 / 50 && p <= 1);
  }
  assert.ok(j.EMI_CI95.id_set && j.EMI_CI95.ood_a);
  assert.deepEqual([j.uncertainty.method, j.uncertainty.bootstrap, j.uncertainty.permutations, j.uncertainty.seed], ['bayesian-bootstrap-rows', 60, 49, 3]);
  const text = runCli(['emid', '--id', id, '--ood', oodA, '--estimator', CLUB, '--bootstrap', '20', '--permutations', '9']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Uncertainty \(bayesian-bootstrap-rows, 20 replicates, 9 permutations\)/);
});

test('emi --bootstrap adds EMI_CI95; a bad count is a usage error', () => {
  const r = runCli(['emi', id, oodA, '--estimator', CLUB, '--bootstrap', '40', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const name of ['id_set', 'ood_a']) {
    const [lo, hi] = j.EMI_CI95[name];
    assert.ok(lo <= j.EMI[name] && j.EMI[name] <= hi, `${name}: ${lo} ${j.EMI[name]} ${hi}`);
  }
  const bad = runCli(['emi', id, '--estimator', CLUB, '--bootstrap', '-3']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--bootstrap must be a non-negative integer/);
});
