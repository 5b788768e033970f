import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clubNetworkFromParams, initClubParams } from '../../src/core/estimators/club-train.js';
import { Rng } from '../../src/core/random.js';
import { clubForward } from '../../src/core/club.js';
import { emiFromMoments, queryEmbedding } from '../../src/core/emi.js';
import type { Matrix } from '../../src/core/matrix.js';
import { emiLeaveOneOut } from '../../src/pipeline/run-samples.js';

function randomRows(rng: Rng, n: number, d: number): Matrix<Float64Array> {
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) { const v = rng.normal(); data[i * d + k] = v; s += v * v; }
    for (let k = 0; k < d; k++) data[i * d + k] /= Math.sqrt(s);
  }
  return { rows: n, cols: d, data };
}

function dropRow(m: Matrix, i: number): Matrix<Float64Array> {
  const out = new Float64Array((m.rows - 1) * m.cols);
  for (let r = 0, o = 0; r < m.rows; r++) {
    if (r === i) continue;
    for (let k = 0; k < m.cols; k++) out[o++] = m.data[r * m.cols + k];
  }
  return { rows: m.rows - 1, cols: m.cols, data: out };
}

test('emiLeaveOneOut: EMI(all) − EMI(without row i), equal to recomputing E8 on the n − 1 other rows (1e-12)', () => {
  const rng = new Rng(3);
  const shape = { dx: 12, dy: 12, hidden: 6, boundedLogvar: true };
  const net = clubNetworkFromParams(initClubParams(shape, rng), shape);
  const [xv, xt, yHat, y] = [0, 1, 2, 3].map(() => randomRows(rng, 9, 12));
  const loo = emiLeaveOneOut(net, xv, xt, yHat, y);
  const all = emiFromMoments(clubForward(net, queryEmbedding(xv, xt)), yHat, y).emi;
  for (let i = 0; i < 9; i++) {
    const without = emiFromMoments(clubForward(net, queryEmbedding(dropRow(xv, i), dropRow(xt, i))), dropRow(yHat, i), dropRow(y, i)).emi;
    assert.ok(Math.abs(loo[i] - (all - without)) < 1e-12, `row ${i}: ${loo[i]} vs ${all - without}`);
  }
});
