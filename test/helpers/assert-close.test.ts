import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose } from './assert-close.js';

test('assertClose passes within the tolerance and prints both values outside it', () => {
  assertClose(1.0005, 1, 1e-3, 'x');
  assertClose(100.05, 100, 1e-3, 'x', { relative: true });
  assert.throws(() => assertClose(1.01, 1, 1e-3, 'JSD'), /JSD: got 1\.01, expected 1 \(\|diff\| = 0\.0100\d* > 0\.001\)/);
  assert.throws(() => assertClose(100.5, 100, 1e-3, 'r', { relative: true }), /relative/);
  assert.throws(() => assertClose(Number.NaN, 1, 1, 'nan'), /got NaN/);
});
