import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { pearson } from '../../src/core/stats.js';

import { needsOfficial, officialPath } from '../helpers/official.js';

const DIR = officialPath('results/');
const PUBLISHED: Record<string, number> = {
  'pairs-NATURAL-ALL-llava-v1.5-13b-CLUB_global.json': 0.876,
  'pairs-NATURAL-ALL-llava-v1.6-vicuna-13b-CLUB_global.json': 0.689,
  'pairs-SYNTHETIC-ALL-llava-v1.5-13b-CLUB_global.json': 0.579,
  'pairs-SYNTHETIC-ALL-llava-v1.6-vicuna-13b-CLUB_global.json': 0.739,
};

test('authors\' result files: our Pearson r and p-value of EMID vs EMID_UB reproduce theirs (scipy) to 1e-9', needsOfficial(...Object.keys(PUBLISHED).map((f) => `results/${f}`)), () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, Object.keys(PUBLISHED).sort());
  for (const f of files) {
    const r = JSON.parse(readFileSync(DIR + f, 'utf8')) as { EMI: Record<string, number>; EMID: Record<string, number>; EMID_UB: Record<string, number>; PearsonR: number; PearsonPval: number };
    const names = Object.keys(r.EMID);
    const p = pearson(names.map((n) => r.EMID[n]), names.map((n) => r.EMID_UB[n]));
    assert.ok(Math.abs((p.statistic as number) - r.PearsonR) < 1e-9, `${f}: r ${p.statistic} vs ${r.PearsonR}`);
    assert.ok(Math.abs((p.pValue as number) - r.PearsonPval) <= 1e-9 * Math.max(r.PearsonPval, 1e-12) + 1e-15, `${f}: p ${p.pValue} vs ${r.PearsonPval}`);
    assert.ok(Math.abs(r.PearsonR - PUBLISHED[f]) < 5e-4, `${f}: published ${PUBLISHED[f]}`);
    // EMID = EMI(ID) − EMI(OOD) (E2), with the ID set the one key of EMI missing from EMID;
    // their values are float32 sums, so agreement is to float32 resolution (~1e-9 here).
    const idName = Object.keys(r.EMI).find((n) => !(n in r.EMID)) as string;
    for (const n of names) assert.ok(Math.abs(r.EMID[n] - (r.EMI[idName] - r.EMI[n])) < 1e-8, `${f}: EMID ${n}`);
  }
});
