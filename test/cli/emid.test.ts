import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '../../src/io/safetensors.js';
import type { Matrix } from '../../src/core/matrix.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { torchCheckpoint, hostilePickle } from '../helpers/torch-pickle.js';
import { EXPECTED, zt, zv, zy, zyHat } from '../helpers/vectors.js';
import { CLUB_GLOBAL, needsOfficial } from '../helpers/official.js';
import { writeSeededClub } from '../helpers/estimator.js';

const dir = tempDir();
const as32 = (m: Matrix): Matrix => ({ rows: m.rows, cols: m.cols, data: Float32Array.from(m.data) });
function writeSet(name: string, xv: Matrix, xt: Matrix, yHat: Matrix, y: Matrix, f32 = false): string {
  const p = join(dir, name);
  const t = (m: Matrix) => ({ shape: [m.rows, m.cols], data: (f32 ? as32(m) : m).data });
  writeSafetensors(p, { x_v: t(xv), x_t: t(xt), y_hat: t(yHat), y: t(y) }, { scenario: name });
  return p;
}
// P and Q of DESIGN.md §2, stored in float64 so the published values are reproducible to 1e-7.
const P = writeSet('P.safetensors', zv, zt, zyHat, zy);
const Q = writeSet('Q.safetensors', zt, zv, zy, zyHat);
const R = writeSet('R.safetensors', zv, zv, zy, zy);
const P32 = writeSet('P32.safetensors', zv, zt, zyHat, zy, true);

test('emid --json: the authors\' keys, EMI to 1e-7 and the bound to 1e-6 (DESIGN.md §2)', needsOfficial('CLUB_global.pt'), () => {
  const r = runCli(['emid', '--id', P, '--ood', Q, R, '--estimator', CLUB_GLOBAL, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const k of ['EMI', 'EMID', 'EMID_UB', 'JSD', 'PearsonR', 'PearsonPval', 'SpearmanR', 'KendallTau']) assert.ok(k in j, k);
  assert.deepEqual(Object.keys(j.EMI).sort(), ['P', 'Q', 'R']);
  assert.deepEqual(Object.keys(j.EMID).sort(), ['Q', 'R']);
  assert.ok(Math.abs(j.EMI.P - EXPECTED.emi) < 1e-7);
  assert.ok(Math.abs(j.EMID_UB.Q - EXPECTED.boundScaleAdjusted) < 1e-6);
  assert.ok(Math.abs(j.JSD.Q.visual - EXPECTED.jsdVisualText) < 1e-6);
  assert.ok(Math.abs(j.JSD.Q.idOutput - EXPECTED.jsdOutput) < 1e-6);
  assert.deepEqual(Object.keys(j.JSD.Q).sort(), ['idOutput', 'oodOutput', 'text', 'visual']);
  assert.ok(Math.abs(j.EMID.Q - (j.EMI.P - j.EMI.Q)) < 1e-15);
  // Two OOD sets: r is ±1 and its p-value undefined (n − 2 = 0 degrees of freedom) → null, not NaN.
  assert.ok(Math.abs(Math.abs(j.PearsonR) - 1) < 1e-12);
  assert.equal(j.PearsonPval, null);
  assert.equal(r.stderr, '');
});

test('emi on float32 sets agrees with float64 to 1e-6 (float32 input rounding ≈ 6e-8 relative per value)', needsOfficial('CLUB_global.pt'), () => {
  const r = runCli(['emi', P32, '--estimator', CLUB_GLOBAL, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Math.abs(JSON.parse(r.stdout).EMI.P32 - EXPECTED.emi) < 1e-6);
});

test('emid without --json prints a table; --bound full --entropy-scaler H gives H·(√J_v + √J_t) + 4·(J_P^¼ + J_Q^¼)', needsOfficial('CLUB_global.pt'), () => {
  const t = runCli(['emid', '--id', P, '--ood', Q, '--estimator', CLUB_GLOBAL]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /OOD set\s+EMI\s+EMID/);
  assert.match(t.stdout, /2\.301383/);
  const full = JSON.parse(runCli(['emid', '--id', P, '--ood', Q, '--estimator', CLUB_GLOBAL, '--bound', 'full', '--entropy-scaler', '2', '--json']).stdout);
  const j = full.JSD.Q;
  const expected = 2 * (Math.sqrt(j.visual) + Math.sqrt(j.text)) + 4 * (j.idOutput ** 0.25 + j.oodOutput ** 0.25);
  assert.ok(Math.abs(full.EMID_UB.Q - expected) < 1e-12);
});

function expectBadInput(args: string[], re: RegExp): void {
  const t0 = Date.now();
  const r = runCli(args);
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], re);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(r.stdout, '');
  assert.ok(Date.now() - t0 < 10_000);
}

test('bad input exits 2 with one line naming the file and field', () => {
  const club = writeSeededClub(dir);
  const empty = join(dir, 'empty.safetensors');
  writeFileSync(empty, '');
  const garbage = join(dir, 'garbage.safetensors');
  writeFileSync(garbage, Buffer.concat([Buffer.from([200, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('x'.repeat(200))]));
  const small = writeSet('small.safetensors', { rows: 2, cols: 3, data: new Float64Array(6).fill(0.5) }, { rows: 2, cols: 3, data: new Float64Array(6).fill(0.5) }, { rows: 2, cols: 3, data: new Float64Array(6).fill(0.5) }, { rows: 2, cols: 3, data: new Float64Array(6).fill(0.5) });
  const evil = join(dir, 'evil.pt');
  writeFileSync(evil, torchCheckpoint({ w: { shape: [1], data: Float32Array.from([1]) } }, hostilePickle()));
  const notCkpt = join(dir, 'notckpt.pt');
  writeFileSync(notCkpt, 'just text');
  const dup = join(dir, 'sub');
  mkdirSync(dup, { recursive: true });
  copyFileSync(Q, join(dup, 'Q.safetensors'));
  expectBadInput(['emid', '--id', P, '--ood', join(dir, 'missing.safetensors'), '--estimator', club], /missing\.safetensors: file not found/);
  expectBadInput(['emid', '--id', P, '--ood', empty, '--estimator', club], /empty\.safetensors: .*file is empty/);
  expectBadInput(['emid', '--id', P, '--ood', garbage, '--estimator', club], /header is not valid JSON/);
  expectBadInput(['emid', '--id', P, '--ood', small, '--estimator', club], /small\.safetensors: tensors "x_v"\/"x_t" have dimension 3 but the estimator .* expects 768/);
  expectBadInput(['emi', P, '--estimator', evil], /evil\.pt: .*refusing global os\.system/);
  expectBadInput(['emi', P, '--estimator', notCkpt], /notckpt\.pt: not a PyTorch zip checkpoint/);
  expectBadInput(['emi', P, '--estimator', join(dir, 'x.onnx')], /unknown estimator checkpoint type ".onnx"/);
  expectBadInput(['emid', '--id', P, '--ood', Q, join(dup, 'Q.safetensors'), '--estimator', club], /set name "Q" is also the name of/);
  expectBadInput(['emid', '--id', P, '--ood', Q, '--estimator', club, '--entropy-scaler', '-1'], /--entropy-scaler must be a positive number/);
  expectBadInput(['emid', '--id', P, '--ood', Q, '--estimator', club, '--bound', 'tight'], /argument 'tight' is invalid/);
  expectBadInput(['emid', '--id', P, '--estimator', club], /required option '--ood <files...>' not specified/);
});

test('emid leaves an --ood path that is the --id file (same real path) out, with one notice; --ood of only the ID set is bad input', () => {
  const club = writeSeededClub(dir);
  const link = join(dir, 'P-link.safetensors');
  symlinkSync(P, link);
  const r = runCli(['emid', '--id', P, '--ood', P, Q, link, '--estimator', club, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.keys(JSON.parse(r.stdout).EMID), ['Q']);
  assert.deepEqual(r.stderr.trim().split('\n'), [`emid: --ood also names the --id file ${P}; it is left out of the OOD sets`]);
  expectBadInput(['emid', '--id', P, '--ood', link, '--estimator', club], /--ood names only the --id file/);
});
