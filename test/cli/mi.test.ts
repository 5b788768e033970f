import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { encodeNpy } from '../../src/io/npy.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { gaussian1x1 } from '../../src/core/estimators/tasks.js';

const dir = tempDir();
const task = gaussian1x1(0.75);
const s = task.sample(1500, 7);
const xPath = join(dir, 'x.npy');
const yPath = join(dir, 'y.npy');
writeFileSync(xPath, encodeNpy(s.x));
writeFileSync(yPath, encodeNpy(s.y));
const stPath = join(dir, 'xy.safetensors');
writeSafetensors(stPath, { x: { shape: [1500, 1], data: Float32Array.from(s.x.data) }, y: { shape: [1500, 1], data: Float32Array.from(s.y.data) } });

test('mi --json: Gaussian estimate with a row-bootstrap interval covering the truth', () => {
  const r = runCli(['mi', '--x', xPath, '--y', yPath, '--estimator', 'gaussian', '--json', '--bootstrap', '100']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.estimator, 'gaussian');
  assert.deepEqual([j.n, j.dx, j.dy], [1500, 1, 1]);
  assert.equal(j.ciMethod, 'bootstrap-rows');
  assert.ok(j.ci95[0] < j.mi && j.mi < j.ci95[1]);
  // sd of the estimate ≈ 0.015 at n = 1,500: 0.05 is > 3 sd.
  assert.ok(Math.abs(j.mi - task.mi) < 0.05, String(j.mi));
  assert.ok(typeof j.seconds === 'number' && j.seconds >= 0);
});

test('mi reads one safetensors with x and y; KSG with a parameter; float32 input agrees with float64', () => {
  const a = JSON.parse(runCli(['mi', '--x', stPath, '--estimator', 'ksg', '--param', 'k=3', '--bootstrap', '0', '--json']).stdout);
  const b = JSON.parse(runCli(['mi', '--x', xPath, '--y', yPath, '--estimator', 'ksg', '--param', 'k=3', '--bootstrap', '0', '--json']).stdout);
  assert.equal(a.params.k, 3);
  assert.equal(a.ci95, null);
  // float32 rounding (~1e-7 relative) moves a few neighbour counts at most.
  assert.ok(Math.abs(a.mi - b.mi) < 0.01, `${a.mi} vs ${b.mi}`);
});

test('mi: usage and input errors exit 2 with a message naming the problem', () => {
  const cases: [string[], RegExp][] = [
    [['mi', '--x', xPath, '--estimator', 'gaussian'], /--y is required/],
    [['mi', '--x', xPath, '--y', yPath, '--estimator', 'ksg', '--param', 'q=3'], /no parameter "q"; accepted: k/],
    [['mi', '--x', xPath, '--y', yPath, '--estimator', 'ksg', '--param', 'k=abc'], /expected a number/],
    [['mi', '--x', stPath, '--y', yPath, '--estimator', 'gaussian'], /--y must be omitted/],
    [['mi', '--x', join(dir, 'nope.npy'), '--y', yPath, '--estimator', 'gaussian'], /file not found/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const short = join(dir, 'short.npy');
  writeFileSync(short, encodeNpy({ rows: 10, cols: 1, data: new Float64Array(10) }));
  const r = runCli(['mi', '--x', xPath, '--y', short, '--estimator', 'gaussian']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /1500 rows but .*short\.npy has 10/);
});
