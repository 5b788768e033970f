import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wilsonInterval } from '../../src/core/proportion.js';
import { minimumDetectableEffect, powerAt, requiredSampleSize } from '../../src/core/power.js';
import { assertClose } from '../helpers/assert-close.js';

const Z975 = 1.959963984540054;
const Z80 = 0.8416212335729143;

test('Wilson interval: closed form at 0 successes, and both ends solve the score equation', () => {
  // x = 0: the lower end is 0 and the upper is z²/(n + z²).
  const [lo0, hi0] = wilsonInterval(0, 10);
  assert.equal(lo0, 0);
  assertClose(hi0, (Z975 * Z975) / (10 + Z975 * Z975), 1e-12, 'upper at 0/10');
  // Each end p satisfies (p̂ − p)² = z²·p(1 − p)/n (the interval's definition), checked independently.
  for (const [k, n] of [[8, 10], [17, 30], [44.5, 90], [30, 30]] as const) {
    const phat = k / n;
    for (const p of wilsonInterval(k, n)) {
      assertClose((phat - p) ** 2, (Z975 * Z975 * p * (1 - p)) / n, 1e-12, `score equation at ${k}/${n}, p = ${p}`);
    }
  }
  const [lo, hi] = wilsonInterval(15, 30);
  assertClose(lo + hi, 1, 1e-12, 'symmetric about 1/2 at 15/30');
  assert.throws(() => wilsonInterval(11, 10), /successes is 11/);
  assert.throws(() => wilsonInterval(0, 0), /n is 0/);
});

test('power: detectable effect, sample size and power agree with the normal-approximation closed forms', () => {
  assertClose(minimumDetectableEffect(0.01), (Z975 + Z80) * 0.01, 1e-12, 'MDE at SE 0.01');
  // Halving the detectable effect needs four times the samples.
  const se = 0.02;
  const n = 90;
  const mde = minimumDetectableEffect(se);
  assert.equal(requiredSampleSize(se, n, mde), n);
  assert.equal(requiredSampleSize(se, n, mde / 2), 4 * n);
  // At the detectable effect the test has the requested power (up to the negligible far tail).
  assertClose(powerAt(mde, se), 0.8, 1e-6, 'power at the MDE');
  assertClose(powerAt(0, se), 0.05, 1e-12, 'power at no effect = alpha');
  assert.throws(() => requiredSampleSize(0, 90, 0.01), /pilot standard error is 0/);
});
