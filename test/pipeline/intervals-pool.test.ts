import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emidUncertainty } from '../../src/pipeline/estimate-intervals.js';
import { EntropyPool } from '../../src/accel/entropy-pool.js';
import { initClubParams, clubNetworkFromParams } from '../../src/core/estimators/club-train.js';
import { Rng } from '../../src/core/random.js';
import type { EmbeddingSet } from '../../src/io/embedding-set.js';

const D = 24;
const cfg = { dx: D, dy: D, hidden: 16, boundedLogvar: true };
const net = clubNetworkFromParams(initClubParams(cfg, new Rng(3)), cfg);
const rng = new Rng(9);
const m = (n: number) => ({ rows: n, cols: D, data: Float64Array.from({ length: n * D }, () => rng.normal()) });
const set = (name: string, n: number): EmbeddingSet => ({ name, path: `${name}.safetensors`, xv: m(n), xt: m(n), yHat: m(n), y: m(n), metadata: {} }) as unknown as EmbeddingSet;
// n = 9, 12: Gram route; 30 > d: each set's own entropy and every mixture on the d×d route.
const id = set('id', 10);
const oods = [set('a', 9), set('b', 30), set('c', 12)];

test('bootstrap intervals are the same bits in this thread and on pools of 1 and 2 workers', async () => {
  const options = { bootstrap: 12, permutations: 5, seed: 4 };
  const inThread = await emidUncertainty(id, oods, net, options);
  for (const size of [1, 2]) {
    const pool = new EntropyPool(size);
    try {
      const pooled = await emidUncertainty(id, oods, net, { ...options, runner: pool });
      assert.deepEqual(pooled, inThread, `${size} worker(s)`);
    } finally {
      await pool.close();
    }
  }
  assert.ok(inThread.ood.get('b')!.jsd!.visual[0] > 0, 'the d×d route produced a value');
});
