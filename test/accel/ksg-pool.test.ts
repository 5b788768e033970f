import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { KsgPool } from '../../src/accel/ksg-pool.js';
import { identityIndex, inThreadKsg, ksgEstimator, ksgMi, ksgTerms, prepareKsg, KSG_DEFAULTS } from '../../src/core/estimators/ksg.js';
import { gaussianTwoPair, independentGaussian } from '../../src/core/estimators/tasks.js';

// minRows 0: send even these small samples to the workers. Two and three workers split the
// points differently (chunks are claimed by whichever worker is free).
const two = new KsgPool({ size: 2, minRows: 0 });
const three = new KsgPool({ size: 3, minRows: 0 });
after(async () => {
  await two.close();
  await three.close();
});

test('KSG on 2 or 3 worker threads: the same point estimate and interval as in-thread, to the bit', async () => {
  for (const [task, n, seed] of [[gaussianTwoPair(2), 900, 4], [independentGaussian(3, 1), 700, 9]] as const) {
    const s = task.sample(n, seed);
    const options = { bootstrap: 12, seed };
    const ref = await ksgEstimator({ k: 4 }).estimate(s.x, s.y, options);
    assert.equal(ref.mi, ksgMi(s.x, s.y, { k: 4 }, seed), 'ksgMi is the in-thread estimator');
    assert.ok(ref.ci95);
    for (const runner of [two, three]) {
      const got = await ksgEstimator({ k: 4 }, { runner }).estimate(s.x, s.y, options);
      assert.equal(got.mi, ref.mi, `${task.name}, ${runner.size} workers`);
      assert.deepEqual(got.ci95, ref.ci95, `${task.name}, ${runner.size} workers`);
      assert.equal(got.ciMethod, 'subsampling-rows');
    }
  }
});

test('KSG pool: the per-point terms equal the in-thread ones element by element', async () => {
  const s = gaussianTwoPair(3).sample(1500, 2);
  const data = prepareKsg(s.x, s.y, KSG_DEFAULTS, 2);
  const ref = ksgTerms(data, 5, identityIndex(1500));
  assert.deepEqual(await two.terms(data, 5), ref);
  assert.deepEqual(await three.terms(data, 5), ref);
  assert.deepEqual(await inThreadKsg.terms(data, 5), ref);
});

test('KSG pool: an error thrown in a worker rejects with its message and kind; the pool keeps working', async () => {
  const tiny = { rows: 5, cols: 1, data: Float64Array.from([0.1, 0.7, 0.3, 0.9, 0.5]) };
  const data = prepareKsg(tiny, tiny, KSG_DEFAULTS, 0);
  await assert.rejects(two.terms(data, 5), (e: Error) => e instanceof RangeError && /k = 5 needs more than 5 rows, got 5/.test(e.message));
  await assert.rejects(two.subsets(data, 5, [Int32Array.from([0, 1, 2])]), /k = 5 needs more than 5 rows, got 3/);
  const s = gaussianTwoPair(1).sample(300, 1);
  const ok = prepareKsg(s.x, s.y, KSG_DEFAULTS, 0);
  assert.deepEqual(await two.terms(ok, 3), ksgTerms(ok, 3, identityIndex(300)));
});

test('KSG pool: close() rejects a running job instead of hanging, and later use is refused', async () => {
  const pool = new KsgPool({ size: 2, minRows: 0 });
  const s = gaussianTwoPair(5).sample(4000, 3);
  const data = prepareKsg(s.x, s.y, KSG_DEFAULTS, 0);
  const job = assert.rejects(pool.terms(data, 5), /closed while a job was running/);
  await new Promise((r) => setTimeout(r, 50));
  await pool.close();
  await job;
  await assert.rejects(pool.terms(data, 5), /used after close/);
});

test('KSG pool: idle workers do not keep the process alive (no close() needed)', () => {
  const pool = pathToFileURL(resolve('src/accel/ksg-pool.ts')).href;
  const ksg = pathToFileURL(resolve('src/core/estimators/ksg.ts')).href;
  const script = `
    const { KsgPool } = await import(${JSON.stringify(pool)});
    const { ksgEstimator } = await import(${JSON.stringify(ksg)});
    const n = 400;
    const x = { rows: n, cols: 1, data: Float64Array.from({ length: n }, (_, i) => Math.sin(i)) };
    const y = { rows: n, cols: 1, data: Float64Array.from({ length: n }, (_, i) => Math.sin(i) + Math.cos(3 * i)) };
    const r = await ksgEstimator({}, { runner: new KsgPool({ size: 2, minRows: 0 }) }).estimate(x, y, { bootstrap: 4 });
    console.log(JSON.stringify(r.ci95 !== null && Number.isFinite(r.mi)));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, 'the child process did not exit by itself');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'true');
});
