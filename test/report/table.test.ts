import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable } from '../../src/report/table.js';

test('renderTable: counts print as integers, other numbers with 6 decimals, null as —', () => {
  const t = renderTable(['set', 'EMI', 'n'], [['a', 0.5, 90], ['b', 0, 7], ['c', null, null]]);
  assert.equal(t, ['set       EMI   n', '---  --------  --', 'a    0.500000  90', 'b    0.000000   7', 'c           —   —'].join('\n'));
});
