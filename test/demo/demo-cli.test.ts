import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('mllmshift demo (small): says it is a simulation, reports the EMI–accuracy Spearman ρ, prints where the report is', () => {
  const dir = tempDir();
  const r = runCli(['demo', '--out', dir, '--scenes', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /This is a SIMULATION demonstrating the pipeline/);
  assert.match(r.stdout, /scenarios: 35 \(ID llava_bench_coco \+ 34 shifted\), 6 samples each/);
  assert.match(r.stdout, /EMI vs simulated accuracy: Spearman ρ = -?\d\.\d{3}/);
  const report = /report:\s+(\S+)/.exec(r.stdout)?.[1];
  assert.equal(report, join(dir, 'run', 'report.html'));
  assert.ok(existsSync(report as string));
  // --json: the same summary as one JSON document (the run is resumed from its store).
  const j = runCli(['demo', '--out', dir, '--scenes', '2', '--json']);
  assert.equal(j.code, 0, j.stderr);
  const doc = JSON.parse(j.stdout) as { simulation: boolean; scenarios: number; samplesPerScenario: number; spearmanEmiAccuracy: number; report: string; results: string };
  assert.deepEqual([doc.simulation, doc.scenarios, doc.samplesPerScenario, doc.report, doc.results], [true, 35, 6, report, join(dir, 'run', 'results.json')]);
  assert.ok(Number.isFinite(doc.spearmanEmiAccuracy));
});
