/**
 * A seeded RunResults for the report tests: the paper's synthetic grid (DESIGN.md §3: ID +
 * 6 image corruptions × 5 text conditions − 1 = 34 OOD scenarios) with EMID growing with
 * severity, bounds above EMID (one violation on request), judge scores that fall with EMID,
 * and example responses that try to inject markup.
 */
import { kendall, pearson, spearman } from '../../src/core/stats.js';
import type { CorrelationSummary, RunResults, ScenarioResult } from '../../src/report/run-results.js';
import { rng as mulberry32 } from '../encode/fixtures.js';

export interface FixtureOptions {
  readonly simulated?: boolean;
  /** Judge scores per scenario (default true). */
  readonly judge?: boolean;
  /** Simulated accuracy per scenario (default false). */
  readonly accuracy?: boolean;
  /** 95 % intervals and permutation p-values (default true). */
  readonly intervals?: boolean;
  /** Make one scenario's EMID exceed its bound (default false). */
  readonly violation?: boolean;
  readonly seed?: number;
}

export const XSS_RESPONSE = '<script>alert(1)</script> The image shows a <b>cat</b> & a "dog".';
export const XSS_SCENARIO = 'custom_<img src=x onerror=alert(2)>';

function summary(x: number[], y: number[]): CorrelationSummary {
  const p = pearson(x, y);
  const s = spearman(x, y);
  const k = kendall(x, y);
  return { n: x.length, pearson: { r: p.statistic, p: p.pValue }, spearman: { rho: s.statistic, p: s.pValue }, kendall: { tau: k.statistic, p: k.pValue } };
}

const ID = 'llava_bench_coco';
const VISUAL: readonly (readonly [string, number] | null)[] = [null, ['defocus_blur', 1], ['defocus_blur', 3], ['defocus_blur', 5], ['frost', 1], ['frost', 3], ['frost', 5]];
const TEXT: readonly (readonly [string, number] | null)[] = [null, ['sr', 4], ['sr', 7], ['KeyboardAug', 1], ['KeyboardAug', 3]];

export function makeRunResults(o: FixtureOptions = {}): RunResults {
  const rand = mulberry32(o.seed ?? 7);
  const judge = o.judge ?? true;
  const intervals = o.intervals ?? true;
  const idEmi = 0.62;
  const scenarios: ScenarioResult[] = [];
  for (const v of VISUAL) {
    for (const t of TEXT) {
      const isId = v === null && t === null;
      const name = `${ID}${v ? `_${v[0]}_${v[1]}` : ''}${t ? `_${t[0]}_${t[1]}` : ''}`;
      const vs = v ? v[1] / 5 : 0;
      const ts = t ? t[1] / 7 : 0;
      const emid = isId ? null : 0.02 + 0.18 * vs + 0.09 * ts + 0.03 * (rand() - 0.5);
      const emi = idEmi - (emid ?? 0);
      const jv = v ? 0.05 + 0.35 * vs + 0.02 * rand() : 0.004 + 0.002 * rand();
      const jt = t ? 0.03 + 0.2 * ts + 0.02 * rand() : 0.003 + 0.002 * rand();
      const jq = 0.08 + 0.1 * (vs + ts) + 0.02 * rand();
      const jp = 0.07;
      const bound = isId ? null : Math.sqrt(jv) + Math.sqrt(jt) + jp ** 0.25 + jq ** 0.25;
      const rp = 85 - 60 * (emid ?? 0) + 3 * (rand() - 0.5);
      const wr = 30 - 40 * (emid ?? 0) + 3 * (rand() - 0.5);
      scenarios.push({
        name,
        modality: isId ? 'id' : v && t ? 'joint' : v ? 'visual' : 'text',
        visualShift: v ? v[0] : null,
        visualSeverity: v ? v[1] : null,
        textShift: t ? t[0] : null,
        textSeverity: t ? t[1] : null,
        n: 90,
        emi,
        emiCi95: intervals ? [emi - 0.04, emi + 0.05] : null,
        emid,
        emidCi95: intervals && emid !== null ? [emid - 0.05, emid + 0.05] : null,
        emidPValue: intervals && emid !== null ? Math.min(1, 0.5 * Math.exp(-25 * emid)) : null,
        emidPValueAdjusted: null,
        jsd: isId ? null : { visual: jv, text: jt, idOutput: jp, oodOutput: jq },
        bound,
        boundHolds: emid === null || bound === null ? null : emid <= bound,
        judge: judge
          ? { relativePreference: rp, relativePreferenceCi95: intervals ? [rp - 4, rp + 4] : null, winRate: wr, winRateCi95: intervals ? [wr - 5, wr + 5] : null, wins: null, ties: null, losses: null, judged: 90, failed: isId ? 1 : 0, differencePValue: null, differencePValueAdjusted: null }
          : null,
        simulatedAccuracy: o.accuracy ? 0.9 - 0.8 * (emid ?? 0) : null,
      });
    }
  }
  if (o.violation) {
    const i = scenarios.findIndex((s) => s.name === `${ID}_frost_5_sr_7`);
    const s = scenarios[i];
    scenarios[i] = { ...s, bound: (s.emid as number) - 0.05, boundHolds: false };
  }
  const ood = scenarios.filter((s) => s.emid !== null);
  const withJudge = scenarios.filter((s) => s.judge !== null);
  const withAcc = scenarios.filter((s) => s.simulatedAccuracy !== null);
  const emidVsBound = summary(ood.map((s) => s.emid as number), ood.map((s) => s.bound as number));
  const rec = (f: (s: ScenarioResult) => number, list: ScenarioResult[]): Record<string, number> => Object.fromEntries(list.map((s) => [s.name, f(s)]));
  return {
    version: '0.1.0',
    created: '2026-11-26T12:00:00.000Z',
    run: {
      name: o.simulated ? 'demo' : 'synthetic-llava-1.5',
      model: o.simulated ? 'simulated-mllm' : 'llava-v1.5-13b',
      idScenario: ID,
      encoders: 'CLIP ViT-B/32 + XLM-R embeddings',
      estimator: 'CLUB (trained on the run)',
      bound: 'scale-adjusted',
      jsdMixture: 'equal',
      simulated: o.simulated ?? false,
      source: 'run',
      emiUnit: 'score',
      notes: ['Responses judged with <judge-model> & rules v1.', 'Seeded fixture.'],
    },
    EMI: rec((s) => s.emi, scenarios),
    EMID: rec((s) => s.emid as number, ood),
    EMID_UB: rec((s) => s.bound as number, ood),
    PearsonR: emidVsBound.pearson.r,
    PearsonPval: emidVsBound.pearson.p,
    JSD_null: { visual: 0.011, text: 0.009, output: 0.02, halfSize: 45 },
    scenarios,
    correlations: {
      emidVsBound,
      emiVsRelativePreference: judge ? summary(withJudge.map((s) => s.emi), withJudge.map((s) => s.judge?.relativePreference as number)) : null,
      emiVsWinRate: judge ? summary(withJudge.map((s) => s.emi), withJudge.map((s) => s.judge?.winRate as number)) : null,
      emiVsSimulatedAccuracy: o.accuracy ? summary(withAcc.map((s) => s.emi), withAcc.map((s) => s.simulatedAccuracy as number)) : null,
    },
    boundHoldsEverywhere: ood.every((s) => s.boundHolds === true),
    examples: [
      { scenario: `${ID}_frost_5_sr_7`, id: '12', question: 'What is on the <table>?', response: XSS_RESPONSE, reference: 'A cat & a dog sit on a wooden table.' },
      { scenario: XSS_SCENARIO, id: '3', question: "Describe the scene's <i>mood</i>.", response: 'Calm.\nSecond line.', reference: 'A calm evening.' },
    ],
  };
}
