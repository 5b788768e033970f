import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pixelBudget, type CorruptJob, type Corrupter } from '../../src/shift/corrupter.js';

const png = new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/images/rgb.png', import.meta.url)))); // 23×17 = 391 px

/** An inner corrupter whose jobs finish only when the test releases them; records how many run at once. */
function gated(): { inner: Corrupter; running: () => number; peak: () => number; release: () => void } {
  let running = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  const inner: Corrupter = {
    corrupt: () => {
      running++;
      peak = Math.max(peak, running);
      return new Promise((resolve) => gates.push(() => { running--; resolve(new Uint8Array(1)); }));
    },
    close: async () => {},
  };
  return { inner, running: () => running, peak: () => peak, release: () => gates.shift()?.() };
}

const job = (bytes: Uint8Array): CorruptJob => ({ bytes, kind: 'contrast', severity: 1, seed: 0, hash: 'h', quality: 95, where: 'x' });
const settle = () => new Promise((r) => setImmediate(r));

async function drive(budget: number, jobs: number): Promise<number[]> {
  const g = gated();
  const c = pixelBudget(g.inner, budget, async () => 391); // a fixed size: only microtasks, so settling is deterministic
  const all = Promise.all(Array.from({ length: jobs }, () => c.corrupt(job(png))));
  const seen: number[] = [];
  for (let k = 0; k < jobs; k++) {
    for (let i = 0; i < 20; i++) await settle();
    seen.push(g.running());
    g.release();
  }
  await all;
  assert.ok(g.peak() <= Math.max(1, Math.floor(budget / 391)), `peak ${g.peak()} jobs for a budget of ${budget} px`);
  return seen;
}

test('the budget measures a job from its image header', async () => {
  const g = gated();
  const c = pixelBudget(g.inner, 391);
  const both = Promise.all([c.corrupt(job(png)), c.corrupt(job(png))]);
  while (g.running() === 0) await settle();
  for (let i = 0; i < 50; i++) await settle();
  assert.equal(g.running(), 1, 'two 391-pixel images do not fit a 391-pixel budget together');
  g.release();
  while (g.running() === 0) await settle();
  g.release();
  await both;
  assert.equal(g.peak(), 1);
});

test('the pixel budget admits as many 391-pixel images at once as fit, and one over the budget alone', async () => {
  assert.deepEqual(await drive(800, 5), [2, 2, 2, 2, 1]);
  assert.deepEqual(await drive(391, 3), [1, 1, 1]);
  assert.deepEqual(await drive(100, 3), [1, 1, 1]);
  assert.deepEqual(await drive(10_000, 4), [4, 3, 2, 1]);
});
