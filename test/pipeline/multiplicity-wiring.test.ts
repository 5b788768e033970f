/**
 * Multiplicity wired through a run: Holm/BH over the present p-values (nulls stay out of the
 * family), the permutation tests behind the judge-difference p-values, and where the adjusted
 * values appear (results.json scenarios, emid --json, the report's table).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adjustPresent } from '../../src/core/multiplicity.js';
import { signFlipPValue, twoSamplePermutationPValue } from '../../src/core/bootstrap.js';
import { Rng } from '../../src/core/random.js';
import { judgeDifferencePValue, type ScoredReview } from '../../src/llm/summary.js';
import { withAdjustedPValues } from '../../src/pipeline/results.js';
import { emidUncertaintyJson, type EmidResultsJson } from '../../src/pipeline/results-json.js';
import { scenarioTable } from '../../src/report/tables.js';
import type { EmidUncertainty, OodUncertainty } from '../../src/pipeline/estimate-intervals.js';
import { assertClose } from '../helpers/assert-close.js';
import { makeRunResults } from '../report/report-fixture.js';

// Hand-computed: present p = (0.01, 0.04, 0.03), m = 3; ascending 0.01, 0.03, 0.04.
// Holm: 3·0.01 = 0.03, 2·0.03 = 0.06, max(0.06, 1·0.04) = 0.06.
// BH (from the top): 3/3·0.04 = 0.04; min(0.04, 3/2·0.03 = 0.045) = 0.04; min(0.04, 3/1·0.01) = 0.03.
const P = [0.01, null, 0.04, 0.03];
const HOLM = [0.03, null, 0.06, 0.06];
const BH = [0.03, null, 0.04, 0.04];

function assertNullableClose(actual: readonly (number | null)[], expected: readonly (number | null)[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  expected.forEach((e, i) => (e === null ? assert.equal(actual[i], null, `${label}[${i}]`) : assertClose(actual[i] as number, e, 1e-12, `${label}[${i}]`)));
}

test('adjustPresent: Holm and BH over the present p-values only; nulls stay null and do not count in m', () => {
  const a = adjustPresent(P);
  assertNullableClose(a.holm, HOLM, 'holm');
  assertNullableClose(a.bh, BH, 'bh');
  assert.deepEqual(adjustPresent([null, null]), { holm: [null, null], bh: [null, null] });
});

// Exact null distributions: 5 differences of +1 under random signs give |sum| = 5 with
// probability 2/32; groups (0,0,0) vs (1,1,1) are separated by 1 in 2 of the C(6,3) = 20 splits.
// Tolerance: 4 binomial standard errors of the Monte Carlo estimate at 20,000 draws (≤ 0.0085).
test('signFlipPValue and twoSamplePermutationPValue agree with the exact permutation distributions', () => {
  const B = 20000;
  const se = (p: number): number => 4 * Math.sqrt((p * (1 - p)) / B);
  assertClose(signFlipPValue([1, 1, 1, 1, 1], B, new Rng(1)), 2 / 32, se(2 / 32), 'sign flip');
  assertClose(twoSamplePermutationPValue([0, 0, 0], [1, 1, 1], B, new Rng(2)), 2 / 20, se(0.1), 'two-sample');
  // No difference at all: every permutation ties, p = 1.
  assert.equal(signFlipPValue([0, 0, 0], 100, new Rng(3)), 1);
});

const review = (id: string, ref: number, model: number): ScoredReview => ({ id, tuple: [ref, model] });

test('judgeDifferencePValue pairs items by question id, falls back to two samples, and is null without items', () => {
  const id = Array.from({ length: 10 }, (_, i) => review(String(i), 8, 8));
  const worse = Array.from({ length: 10 }, (_, i) => review(String(i), 8, 6));
  // Paired: 10 per-question differences of −2; exact p = 2/1024.
  const paired = judgeDifferencePValue(id, worse, 5000, 0) as number;
  assert.ok(paired < 0.01, `paired p = ${paired}`);
  // Same scores, no shared ids: two-sample test of 10 zeros vs 10 minus-twos; exact p = 2/C(20,10) ≈ 1e-5.
  const unpaired = judgeDifferencePValue(id, worse.map((r, i) => ({ ...r, id: `other-${i}` })), 5000, 0) as number;
  assert.ok(unpaired < 0.01, `unpaired p = ${unpaired}`);
  // Identical scores: p = 1.
  assert.equal(judgeDifferencePValue(id, id, 500, 0), 1);
  assert.equal(judgeDifferencePValue(id, [{ id: '0', tuple: null }], 500, 0), null);
});

test('withAdjustedPValues adjusts the EMID and the judge p-values of a run as two families', () => {
  const base = makeRunResults({ judge: true, intervals: true });
  const pick = base.scenarios.slice(0, 4);
  const scenarios = pick.map((s, i) => ({
    ...s,
    emidPValue: P[i],
    judge: s.judge ? { ...s.judge, differencePValue: P[(i + 1) % 4] } : null,
  }));
  const out = withAdjustedPValues(scenarios);
  assertNullableClose(out.map((s) => s.emidPValueAdjusted?.holm ?? null), HOLM, 'emid holm');
  assertNullableClose(out.map((s) => s.emidPValueAdjusted?.bh ?? null), BH, 'emid bh');
  // The judge family is P rotated by one: (null, 0.04, 0.03, 0.01).
  assertNullableClose(out.map((s) => s.judge?.differencePValueAdjusted?.holm ?? null), [null, 0.06, 0.06, 0.03], 'judge holm');
  assertNullableClose(out.map((s) => s.judge?.differencePValueAdjusted?.bh ?? null), [null, 0.04, 0.04, 0.03], 'judge bh');
});

test('emid --json carries EMID_PermutationPval_Holm and _BH; the report table has their columns', () => {
  const o = (p: number): OodUncertainty => ({ emi: null, emid: null, bound: null, jsd: null, emidPValue: p });
  const u: EmidUncertainty = { method: 'bayesian-bootstrap-rows', bootstrap: 0, permutations: 99, seed: 0, idEmi: null, ood: new Map([['a', o(0.01)], ['b', o(0.04)], ['c', o(0.03)]]) };
  const json = emidUncertaintyJson({ ID: 'id' } as EmidResultsJson, u);
  assertNullableClose(['a', 'b', 'c'].map((n) => json.EMID_PermutationPval_Holm![n]), [0.03, 0.06, 0.06], 'json holm');
  assertNullableClose(['a', 'b', 'c'].map((n) => json.EMID_PermutationPval_BH![n]), [0.03, 0.04, 0.04], 'json bh');
  const r = makeRunResults({ intervals: true });
  const keys = scenarioTable({ ...r, scenarios: withAdjustedPValues(r.scenarios) }).columns.map((c) => c.key);
  assert.ok(keys.includes('EMID_p_holm') && keys.includes('EMID_p_bh'), keys.join(','));
});

test('the report table shows the judge ties when results carry them (files-only otherwise)', () => {
  const r = makeRunResults({ judge: true });
  const shownKeys = (x: typeof r): string[] => scenarioTable(x).columns.filter((c) => !c.inFilesOnly).map((c) => c.key);
  assert.ok(!shownKeys(r).includes('judge_ties'));
  const withTies = { ...r, scenarios: r.scenarios.map((s) => (s.judge ? { ...s, judge: { ...s.judge, wins: 30, ties: 20, losses: 40 } } : s)) };
  assert.ok(shownKeys(withTies).includes('judge_ties'));
});
