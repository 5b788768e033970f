/**
 * Tolerance assertions that print both values when they fail.
 */
import assert from 'node:assert/strict';

/**
 * |actual − expected| ≤ tol (absolute), or ≤ tol·|expected| with `relative`. A NaN on either
 * side fails. The message names the quantity, both values, the difference and the tolerance.
 */
export function assertClose(actual: number, expected: number, tol: number, label = 'value', options: { readonly relative?: boolean } = {}): void {
  const diff = Math.abs(actual - expected);
  const bound = options.relative ? tol * Math.abs(expected) : tol;
  if (!(diff <= bound)) {
    assert.fail(`${label}: got ${actual}, expected ${expected} (|diff| = ${diff} > ${options.relative ? `${tol} relative` : tol})`);
  }
}
