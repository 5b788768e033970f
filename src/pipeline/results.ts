/**
 * Assembles `results.json` (RunResults) from the estimate stage (EMI, EMID, JSD terms, bound,
 * intervals, permutation p-values) and the judge summaries, with the cross-scenario
 * correlations: EMID vs bound, EMI vs relative preference, EMI vs win rate (and, for the demo,
 * EMI vs the simulated model's known accuracy).
 */
import { adjustPresent } from '../core/multiplicity.js';
import { kendall, pearson, spearman } from '../core/stats.js';
import { inPaperOrder, parseScenario } from '../data/scenarios.js';
import type { CorrelationSummary, ExampleResponse, RunResults, ScenarioResult } from '../report/run-results.js';
import { VERSION } from '../version.js';
import type { EmidAnalysis } from './estimate.js';
import type { EmidUncertainty } from './estimate-intervals.js';

export interface JudgeScores {
  readonly relativePreference: number;
  readonly relativePreferenceCi95: readonly [number, number] | null;
  readonly winRate: number;
  readonly winRateCi95: readonly [number, number] | null;
  readonly wins: number | null;
  readonly ties: number | null;
  readonly losses: number | null;
  readonly judged: number;
  readonly failed: number;
  /** Permutation p-value of the judge difference from the ID set (judgeDifferencePValue); null for the ID set. */
  readonly differencePValue: number | null;
}

/**
 * The run's p-values adjusted across its scenarios by Holm and Benjamini–Hochberg: the EMID ≠ 0
 * permutation p-values form one family, the judge differences another. Scenarios without a
 * p-value stay out of the family (and get null).
 */
export function withAdjustedPValues(scenarios: readonly ScenarioResult[]): ScenarioResult[] {
  const emid = adjustPresent(scenarios.map((s) => s.emidPValue));
  const judge = adjustPresent(scenarios.map((s) => s.judge?.differencePValue ?? null));
  const pair = (h: number | null, b: number | null) => (h === null || b === null ? null : { holm: h, bh: b });
  return scenarios.map((s, i) => ({
    ...s,
    emidPValueAdjusted: pair(emid.holm[i], emid.bh[i]),
    judge: s.judge === null ? null : { ...s.judge, differencePValueAdjusted: pair(judge.holm[i], judge.bh[i]) },
  }));
}

/** Pearson, Spearman and Kendall of y on x; null when fewer than 3 pairs. */
export function correlationSummary(x: readonly number[], y: readonly number[]): CorrelationSummary | null {
  if (x.length < 3) return null;
  const p = pearson(x, y);
  const s = spearman(x, y);
  const k = kendall(x, y);
  return {
    n: x.length,
    pearson: { r: p.statistic, p: p.pValue },
    spearman: { rho: s.statistic, p: s.pValue },
    kendall: { tau: k.statistic, p: k.pValue },
  };
}

/** A scenario's place on the shift grid, from its name (DESIGN.md §3 naming); all null for a custom name. */
export function scenarioShape(name: string): Pick<ScenarioResult, 'visualShift' | 'visualSeverity' | 'textShift' | 'textSeverity'> & { modality: ScenarioResult['modality'] | null } {
  try {
    const s = parseScenario(name);
    return {
      modality: s.modality === 'none' ? null : s.modality,
      // In-the-wild sets differ from COCO in their images: their split names the row of the grid.
      visualShift: s.image?.kind ?? (s.base === 'llava_bench_in_the_wild' ? `in_the_wild_${s.split ?? 'normal'}` : null),
      visualSeverity: s.image?.severity ?? null,
      textShift: s.text ? (s.text.kind === 'translate' ? s.text.language : s.text.kind) : null,
      textSeverity: s.text && s.text.kind !== 'translate' ? s.text.level : null,
    };
  } catch {
    // A custom scenario name outside the paper's naming: no grid position.
    return { modality: null, visualShift: null, visualSeverity: null, textShift: null, textSeverity: null };
  }
}

export interface AssembleOptions {
  readonly runName: string;
  readonly model: string;
  readonly encoders: string;
  readonly estimator: string;
  readonly simulated: boolean;
  /** Whether the estimator is calibrated (unbounded log-variance) or the paper's (a monotone score). */
  readonly emiUnit: 'score' | 'nats';
  readonly notes: readonly string[];
  readonly judge: ReadonlyMap<string, JudgeScores>;
  readonly simulatedAccuracy?: ReadonlyMap<string, number>;
  readonly examples: readonly ExampleResponse[];
}

export function assembleRunResults(a: EmidAnalysis, u: EmidUncertainty | null, o: AssembleOptions): RunResults {
  const judge = (name: string): ScenarioResult['judge'] => {
    const j = o.judge.get(name);
    return j ? { ...j, differencePValueAdjusted: null } : null;
  };
  const idShape = scenarioShape(a.id.name);
  const scenarios: ScenarioResult[] = withAdjustedPValues([
    {
      name: a.id.name,
      modality: 'id',
      visualShift: idShape.visualShift,
      visualSeverity: idShape.visualSeverity,
      textShift: idShape.textShift,
      textSeverity: idShape.textSeverity,
      n: a.id.emi.n,
      emi: a.id.emi.emi,
      emiCi95: u?.idEmi ?? null,
      emid: null,
      emidCi95: null,
      emidPValue: null,
      emidPValueAdjusted: null,
      jsd: null,
      bound: null,
      boundHolds: null,
      judge: judge(a.id.name),
      simulatedAccuracy: o.simulatedAccuracy?.get(a.id.name) ?? null,
    },
    ...inPaperOrder(a.ood, (s) => s.name).map((s): ScenarioResult => {
      const shape = scenarioShape(s.name);
      const un = u?.ood.get(s.name);
      return {
        name: s.name,
        modality: shape.modality ?? 'joint',
        visualShift: shape.visualShift,
        visualSeverity: shape.visualSeverity,
        textShift: shape.textShift,
        textSeverity: shape.textSeverity,
        n: s.emi.n,
        emi: s.emi.emi,
        emiCi95: un?.emi ?? null,
        emid: s.emid,
        emidCi95: un?.emid ?? null,
        emidPValue: un?.emidPValue ?? null,
        emidPValueAdjusted: null,
        jsd: s.jsd,
        bound: s.bound,
        boundHolds: s.emid <= s.bound,
        judge: judge(s.name),
        simulatedAccuracy: o.simulatedAccuracy?.get(s.name) ?? null,
      };
    }),
  ]);
  const withJudge = scenarios.filter((s) => s.judge !== null);
  const withAcc = scenarios.filter((s) => s.simulatedAccuracy !== null);
  const ood = scenarios.filter((s) => s.emid !== null);
  const EMI: Record<string, number> = {};
  const EMID: Record<string, number> = {};
  const EMID_UB: Record<string, number> = {};
  for (const s of scenarios) EMI[s.name] = s.emi;
  for (const s of a.ood) {
    EMID[s.name] = s.emid;
    EMID_UB[s.name] = s.bound;
  }
  const emidVsBound = correlationSummary(ood.map((s) => s.emid as number), ood.map((s) => s.bound as number)) ?? {
    n: ood.length,
    pearson: { r: a.correlations.pearson.statistic, p: a.correlations.pearson.pValue },
    spearman: { rho: a.correlations.spearman.statistic, p: a.correlations.spearman.pValue },
    kendall: { tau: a.correlations.kendall.statistic, p: a.correlations.kendall.pValue },
  };
  return {
    version: VERSION,
    created: new Date().toISOString(),
    run: {
      name: o.runName,
      model: o.model,
      idScenario: a.id.name,
      encoders: o.encoders,
      estimator: o.estimator,
      bound: a.options.bound,
      jsdMixture: a.options.jsdMixture,
      simulated: o.simulated,
      source: 'run',
      emiUnit: o.emiUnit,
      notes: o.notes,
    },
    EMI,
    EMID,
    EMID_UB,
    PearsonR: a.correlations.pearson.statistic,
    PearsonPval: a.correlations.pearson.pValue,
    JSD_null: a.jsdNull,
    scenarios,
    correlations: {
      emidVsBound,
      emiVsRelativePreference: correlationSummary(withJudge.map((s) => s.emi), withJudge.map((s) => s.judge!.relativePreference)),
      emiVsWinRate: correlationSummary(withJudge.map((s) => s.emi), withJudge.map((s) => s.judge!.winRate)),
      emiVsSimulatedAccuracy: correlationSummary(withAcc.map((s) => s.emi), withAcc.map((s) => s.simulatedAccuracy as number)),
    },
    boundHoldsEverywhere: ood.every((s) => s.boundHolds === true),
    examples: o.examples,
  };
}
