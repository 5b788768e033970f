import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benjaminiHochbergAdjust, holmAdjust } from '../../src/core/multiplicity.js';
import { assertClose } from '../helpers/assert-close.js';

function assertAllClose(actual: ArrayLike<number>, expected: readonly number[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) assertClose(actual[i], expected[i], 1e-12, `${label}[${i}]`);
}

// Hand-computed. p = (0.04, 0.01, 0.03, 0.02, 0.05), m = 5; ascending 0.01, 0.02, 0.03, 0.04, 0.05.
// Holm: 5·0.01 = 0.05, 4·0.02 = 0.08, 3·0.03 = 0.09, max(0.09, 2·0.04 = 0.08) = 0.09, max(0.09, 0.05) = 0.09.
// BH: 5/5·0.05 = 0.05; min(0.05, 5/4·0.04 = 0.05); min(0.05, 5/3·0.03 = 0.05); … all 0.05.
test('Holm and Benjamini–Hochberg adjust a hand-computed family, in the input order', () => {
  const p = [0.04, 0.01, 0.03, 0.02, 0.05];
  assertAllClose(holmAdjust(p), [0.09, 0.05, 0.09, 0.08, 0.09], 'holm');
  assertAllClose(benjaminiHochbergAdjust(p), [0.05, 0.05, 0.05, 0.05, 0.05], 'bh');
});

// p = (0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205), m = 8 (a textbook example).
// Holm: 8·0.001 = 0.008, 7·0.008 = 0.056, 6·0.039 = 0.234, 5·0.041 = 0.205 → 0.234, 4·0.042 = 0.168 → 0.234,
//       3·0.06 = 0.18 → 0.234, 2·0.074 = 0.148 → 0.234, 0.205 → 0.234.
// BH: from the top: 0.205; 8/7·0.074 = 0.084571…; 8/6·0.06 = 0.08; 8/5·0.042 = 0.0672; 8/4·0.041 = 0.082 → 0.0672;
//     8/3·0.039 = 0.104 → 0.0672; 8/2·0.008 = 0.032; 8·0.001 = 0.008.
test('Holm and Benjamini–Hochberg on an eight-test family with running max/min steps', () => {
  const p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205];
  assertAllClose(holmAdjust(p), [0.008, 0.056, 0.234, 0.234, 0.234, 0.234, 0.234, 0.234], 'holm');
  assertAllClose(benjaminiHochbergAdjust(p), [0.008, 0.032, 0.0672, 0.0672, 0.0672, 0.08, 8 / 7 * 0.074, 0.205], 'bh');
});

test('adjusted p-values are capped at 1, ties keep their order, an empty family is empty', () => {
  assertAllClose(holmAdjust([0.5, 0.5, 0.9]), [1, 1, 1], 'holm');
  assertAllClose(benjaminiHochbergAdjust([0.5, 0.5, 0.9]), [0.75, 0.75, 0.9], 'bh');
  assert.equal(holmAdjust([]).length, 0);
  assert.throws(() => holmAdjust([0.1, Number.NaN]), /p-value 1 is NaN/);
  assert.throws(() => benjaminiHochbergAdjust([1.5]), /expected a number in \[0, 1\]/);
});
