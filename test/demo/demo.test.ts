import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runDemo } from '../../src/demo/demo.js';
import { correctProbability } from '../../src/demo/simulated-endpoint.js';
import { renderReportHtml } from '../../src/report/html.js';
import { tempDir } from '../helpers/tmp.js';

const SCENARIOS = ['llava_bench_coco', 'llava_bench_coco_sr_7', 'llava_bench_coco_defocus_blur_5', 'llava_bench_coco_frost_5_KeyboardAug_3'];
const quiet = { log: () => {}, progress: false, renderReport: renderReportHtml, scenes: 3, epochs: 3, resamples: 20, scenarios: SCENARIOS };

test('the simulated accuracy falls with severity as documented', () => {
  assert.equal(correctProbability({ visual: 0, text: 0 }), 0.92);
  assert.ok(Math.abs(correctProbability({ visual: 5, text: 0 }) - 0.57) < 1e-12);
  assert.ok(Math.abs(correctProbability({ visual: 1.25 * 5, text: 3 }) - (0.92 - 0.4375 - 0.15)) < 1e-12);
  assert.equal(correctProbability({ visual: 20, text: 20 }), 0.1);
});

test('demo end to end on a small grid, then a rerun that skips every finished stage', async () => {
  const dir = tempDir();
  const first = await runDemo({ ...quiet, outDir: dir });
  const r = first.results;
  assert.equal(r.run.simulated, true);
  assert.deepEqual(r.scenarios.map((s) => s.name), SCENARIOS);
  assert.deepEqual(Object.keys(r.EMID).sort(), SCENARIOS.slice(1).sort());
  for (const s of r.scenarios) {
    assert.equal(s.n, 9);
    assert.ok(Number.isFinite(s.emi));
    assert.ok(s.judge !== null && s.judge.judged === 9 && s.judge.failed === 0);
    assert.ok(s.simulatedAccuracy !== null && s.simulatedAccuracy >= 0 && s.simulatedAccuracy <= 1);
    // The simulated judge gives 8 to a correct answer and 3 to a wrong one, the reference always 8:
    // RP = 100·(3 + 5·accuracy)/8 exactly.
    assert.ok(Math.abs(s.judge!.relativePreference - (100 * (3 + 5 * s.simulatedAccuracy!)) / 8) < 1e-9, s.name);
  }
  for (const s of r.scenarios.slice(1)) {
    assert.ok(s.jsd !== null && s.bound !== null && s.emidCi95 !== null && s.emidPValue !== null);
    assert.equal(s.boundHolds, (s.emid as number) <= (s.bound as number));
  }
  // The ID set's text is unchanged under image-only shifts, its images under text-only shifts.
  assert.equal(r.scenarios.find((s) => s.name === 'llava_bench_coco_sr_7')!.jsd!.visual, 0);
  assert.equal(r.scenarios.find((s) => s.name === 'llava_bench_coco_defocus_blur_5')!.jsd!.text, 0);
  const html = readFileSync(first.reportPath as string, 'utf8');
  assert.match(html, /simulation/i);
  assert.ok(existsSync(join(dir, 'run', 'results.json')));
  const db = new Database(join(dir, 'run', 'run.sqlite'), { readonly: true });
  const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
  assert.equal(count('SELECT COUNT(*) AS n FROM samples'), 4 * 9);
  assert.equal(count("SELECT COUNT(*) AS n FROM responses WHERE role = 'model'"), 4 * 9);
  assert.equal(count('SELECT COUNT(*) AS n FROM reviews'), 4 * 9);
  assert.equal(count('SELECT COUNT(*) AS n FROM embeddings'), 4);
  assert.ok(count("SELECT COUNT(*) AS n FROM meta WHERE key = 'config'") === 1);
  db.close();

  const second = await runDemo({ ...quiet, outDir: dir });
  assert.deepEqual(second.ran.filter((s) => !['estimate', 'report'].includes(s)), [], `reran: ${second.ran.join(', ')}`);
  assert.ok(second.skipped.includes('estimator'));
  assert.ok(second.skipped.some((s) => s.startsWith('infer')));
  for (const s of r.scenarios) {
    assert.equal(second.results.EMI[s.name], r.EMI[s.name], `EMI of ${s.name} reproduced exactly`);
  }
});
