/**
 * Results JSON of `emi`/`emid --json` (docs/results-schema.md): the authors' keys (`EMI`, `EMID`,
 * `EMID_UB`, `PearsonR`, `PearsonPval`) so their analysis code can read it, plus ours (JSD terms
 * per scenario, the JSD null baseline, Spearman/Kendall, MI terms, sample counts, options).
 * Our keys are the library's own names (camelCase, as in results.json): the JSD terms are
 * `JsdTerms`, the null baseline is `EmidAnalysis['jsdNull']`, written as they are.
 */
import type { JsdTerms } from '../core/emi.js';
import type { EmidAnalysis, EmiValue } from './estimate.js';
import type { EmidUncertainty, Interval } from './estimate-intervals.js';
import { adjustPresent } from '../core/multiplicity.js';
import { VERSION } from '../version.js';

export interface EmiResultsJson {
  EMI: Record<string, number>;
  MI: Record<string, { model: number; reference: number }>;
  n: Record<string, number>;
  estimator: string;
  version: string;
}

export function emiResultsJson(values: ReadonlyMap<string, EmiValue>, estimator: string): EmiResultsJson {
  const out: EmiResultsJson = { EMI: {}, MI: {}, n: {}, estimator, version: VERSION };
  for (const [name, v] of values) {
    out.EMI[name] = v.emi;
    out.MI[name] = { model: v.miModel, reference: v.miReference };
    out.n[name] = v.n;
  }
  return out;
}

export interface EmidResultsJson {
  ID: string;
  EMI: Record<string, number>;
  EMID: Record<string, number>;
  EMID_UB: Record<string, number>;
  JSD: Record<string, JsdTerms>;
  JSD_null: EmidAnalysis['jsdNull'];
  PearsonR: number | null;
  PearsonPval: number | null;
  SpearmanR: number | null;
  SpearmanPval: number | null;
  KendallTau: number | null;
  KendallPval: number | null;
  MI: Record<string, { model: number; reference: number }>;
  n: Record<string, number>;
  bound: string;
  entropyScaler: number;
  jsdMixture: string;
  seed: number;
  estimator: string;
  /** 'score' for the paper's CLUB (tanh-bounded log-variance: a monotone score), 'nats' for a calibrated one. */
  emiUnit: 'score' | 'nats';
  version: string;
}

/** The four JSD terms (values or intervals) under their one set of names. */
function jsdTerms<T>(j: { readonly visual: T; readonly text: T; readonly idOutput: T; readonly oodOutput: T }): { visual: T; text: T; idOutput: T; oodOutput: T } {
  return { visual: j.visual, text: j.text, idOutput: j.idOutput, oodOutput: j.oodOutput };
}

export function emidResultsJson(a: EmidAnalysis, estimator: string, emiUnit: 'score' | 'nats'): EmidResultsJson {
  const out: EmidResultsJson = {
    ID: a.id.name,
    EMI: { [a.id.name]: a.id.emi.emi },
    EMID: {},
    EMID_UB: {},
    JSD: {},
    JSD_null: { visual: a.jsdNull.visual, text: a.jsdNull.text, output: a.jsdNull.output, halfSize: a.jsdNull.halfSize },
    PearsonR: a.correlations.pearson.statistic,
    PearsonPval: a.correlations.pearson.pValue,
    SpearmanR: a.correlations.spearman.statistic,
    SpearmanPval: a.correlations.spearman.pValue,
    KendallTau: a.correlations.kendall.statistic,
    KendallPval: a.correlations.kendall.pValue,
    MI: { [a.id.name]: { model: a.id.emi.miModel, reference: a.id.emi.miReference } },
    n: { [a.id.name]: a.id.emi.n },
    bound: a.options.bound,
    entropyScaler: a.options.entropyScaler,
    jsdMixture: a.options.jsdMixture,
    seed: a.options.seed,
    estimator,
    emiUnit,
    version: VERSION,
  };
  for (const o of a.ood) {
    out.EMI[o.name] = o.emi.emi;
    out.EMID[o.name] = o.emid;
    out.EMID_UB[o.name] = o.bound;
    out.JSD[o.name] = jsdTerms(o.jsd);
    out.MI[o.name] = { model: o.emi.miModel, reference: o.emi.miReference };
    out.n[o.name] = o.emi.n;
  }
  return out;
}

/** Interval fields added by `--bootstrap` / `--permutations` (absent without them). */
export interface UncertaintyJson {
  method: string;
  bootstrap: number;
  permutations: number;
  seed: number;
  note: string;
}

const UNCERTAINTY_NOTE = 'Bayesian bootstrap over rows (Dirichlet row weights; no duplicated rows), estimator fixed; JSD intervals cover the finite-sample statistic at this n, compare with JSD_null';

export function emiIntervalsJson(json: EmiResultsJson, intervals: ReadonlyMap<string, Interval>, method: string, bootstrap: number, seed: number): EmiResultsJson & { EMI_CI95: Record<string, Interval>; uncertainty: UncertaintyJson } {
  return { ...json, EMI_CI95: Object.fromEntries(intervals), uncertainty: { method, bootstrap, permutations: 0, seed, note: UNCERTAINTY_NOTE } };
}

export interface EmidUncertaintyJson {
  EMI_CI95?: Record<string, Interval>;
  EMID_CI95?: Record<string, Interval>;
  EMID_UB_CI95?: Record<string, Interval>;
  JSD_CI95?: Record<string, { visual: Interval; text: Interval; idOutput: Interval; oodOutput: Interval }>;
  EMID_PermutationPval?: Record<string, number>;
  /** EMID_PermutationPval adjusted across the OOD sets: Holm (FWER) and Benjamini–Hochberg (FDR). */
  EMID_PermutationPval_Holm?: Record<string, number>;
  EMID_PermutationPval_BH?: Record<string, number>;
  uncertainty: UncertaintyJson;
}

export function emidUncertaintyJson(json: EmidResultsJson, u: EmidUncertainty): EmidResultsJson & EmidUncertaintyJson {
  const extra: EmidUncertaintyJson = { uncertainty: { method: u.method, bootstrap: u.bootstrap, permutations: u.permutations, seed: u.seed, note: UNCERTAINTY_NOTE } };
  if (u.bootstrap > 0) {
    extra.EMI_CI95 = u.idEmi ? { [json.ID]: u.idEmi } : {};
    extra.EMID_CI95 = {};
    extra.EMID_UB_CI95 = {};
    extra.JSD_CI95 = {};
  }
  if (u.permutations > 0) extra.EMID_PermutationPval = {};
  for (const [name, o] of u.ood) {
    if (o.emi && extra.EMI_CI95) extra.EMI_CI95[name] = o.emi;
    if (o.emid && extra.EMID_CI95) extra.EMID_CI95[name] = o.emid;
    if (o.bound && extra.EMID_UB_CI95) extra.EMID_UB_CI95[name] = o.bound;
    if (o.jsd && extra.JSD_CI95) extra.JSD_CI95[name] = jsdTerms(o.jsd);
    if (o.emidPValue !== null && extra.EMID_PermutationPval) extra.EMID_PermutationPval[name] = o.emidPValue;
  }
  if (extra.EMID_PermutationPval) {
    const names = Object.keys(extra.EMID_PermutationPval);
    const adj = adjustPresent(names.map((n) => extra.EMID_PermutationPval![n]));
    extra.EMID_PermutationPval_Holm = Object.fromEntries(names.map((n, i) => [n, adj.holm[i] as number]));
    extra.EMID_PermutationPval_BH = Object.fromEntries(names.map((n, i) => [n, adj.bh[i] as number]));
  }
  return { ...json, ...extra };
}
