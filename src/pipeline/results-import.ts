/**
 * The three kinds of results file `mllmshift report` renders, read into one RunResults:
 * - `results.json` of `run`/`demo` (run-results-schema.ts);
 * - `emid --json` output (pipeline/results-json.ts): EMI, EMID, bound, JSD terms, JSD null
 *   baseline, correlations, and intervals when it ran with `--bootstrap`/`--permutations`;
 * - the authors' result files (`pairs-{SHIFT}-ALL-{model}-CLUB_global.json`): EMI, EMID,
 *   EMID_UB per scenario and Pearson r only (DESIGN.md §3).
 * Any other JSON gets one line saying which files the report can render.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { inPaperOrder } from '../data/scenarios.js';
import type { Interval, RunResults, ScenarioResult } from '../report/run-results.js';
import { checkSchema, parseRunResults, readJsonFile } from '../report/run-results-schema.js';
import { correlationSummary, scenarioShape, withAdjustedPValues } from './results.js';

const num = z.number();
const record = z.record(z.string(), num);
const intervals = z.record(z.string(), z.tuple([num, num])).optional();

/** `emid --json`; snake_case inner keys (written before the one-vocabulary change) are read too. */
const emidJson = z.object({
  ID: z.string(),
  EMI: record,
  EMID: record,
  EMID_UB: record,
  JSD: z.record(z.string(), z.object({ visual: num, text: num, idOutput: num, oodOutput: num })),
  JSD_null: z.object({ visual: num, text: num, output: num, halfSize: num }),
  bound: z.enum(['scale-adjusted', 'full']),
  jsdMixture: z.enum(['equal', 'sample-weighted']),
  estimator: z.string(),
  version: z.string().optional(),
  emiUnit: z.enum(['score', 'nats']).optional(),
  EMI_CI95: intervals,
  EMID_CI95: intervals,
  EMID_PermutationPval: z.record(z.string(), num).optional(),
  n: z.record(z.string(), z.number().int().nonnegative()).optional(),
});

const authorsJson = z.object({
  model_name: z.string(),
  EMI: record,
  EMID: record,
  EMID_UB: record,
  PearsonR: num.nullable(),
  PearsonPval: num.nullable(),
  shift_type: z.string().optional(),
  ds_id: z.string().optional(),
  v_embedder_name: z.string().optional(),
  t_embedder_name: z.string().optional(),
  mi_ckpt_path: z.string().optional(),
});

const SNAKE: Readonly<Record<string, string>> = { id_output: 'idOutput', ood_output: 'oodOutput', half_size: 'halfSize', jsd_mixture: 'jsdMixture', entropy_scaler: 'entropyScaler' };

function camel(o: unknown): unknown {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return o;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [SNAKE[k] ?? k, v]));
}

function normaliseEmidKeys(v: Record<string, unknown>): Record<string, unknown> {
  const jsd = v.JSD !== null && typeof v.JSD === 'object' ? Object.fromEntries(Object.entries(v.JSD as object).map(([k, x]) => [k, camel(x)])) : v.JSD;
  return { ...(camel(v) as Record<string, unknown>), JSD: jsd, JSD_null: camel(v.JSD_null) };
}

export type ResultsKind = RunResults['run']['source'];

const EXPECTED =
  'expected results.json of `mllmshift run`/`demo` (keys "run", "scenarios"), `mllmshift emid --json` output (keys "ID", "EMI", "EMID", "EMID_UB", "JSD") or one of the authors\' result files (keys "model_name", "EMI", "EMID", "EMID_UB", "PearsonR")';

/** Which kind of results file a parsed document is, or null. */
export function resultsKind(v: unknown): ResultsKind | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const has = (k: string): boolean => k in v;
  if (has('run') && has('scenarios')) return 'run';
  if (has('ID') && has('JSD') && has('EMID_UB')) return 'emid';
  if (has('EMID_UB') && has('EMI') && has('model_name')) return 'authors';
  return null;
}

function scenarioRow(name: string, isId: boolean, emi: number, emid: number | null, bound: number | null, extra: Partial<ScenarioResult> = {}): ScenarioResult {
  const shape = scenarioShape(name);
  return {
    name,
    modality: isId ? 'id' : shape.modality ?? 'joint',
    visualShift: shape.visualShift,
    visualSeverity: shape.visualSeverity,
    textShift: shape.textShift,
    textSeverity: shape.textSeverity,
    n: 0,
    emi,
    emiCi95: null,
    emid,
    emidCi95: null,
    emidPValue: null,
    emidPValueAdjusted: null,
    jsd: null,
    bound,
    boundHolds: emid === null || bound === null ? null : emid <= bound,
    judge: null,
    simulatedAccuracy: null,
    ...extra,
  };
}

interface Parts {
  readonly file: string;
  readonly idName: string;
  readonly emi: Readonly<Record<string, number>>;
  readonly emid: Readonly<Record<string, number>>;
  readonly bound: Readonly<Record<string, number>>;
  readonly kind: string;
}

/** The ID row then the OOD rows in the paper's order; every OOD name needs an EMI, EMID and bound. */
function scenarioRows(p: Parts, extra: (name: string) => Partial<ScenarioResult>): ScenarioResult[] {
  if (!(p.idName in p.emi)) throw new InputError(`${p.file} (${p.kind}): EMI: expected the ID set "${p.idName}", found no such key`);
  const ood = inPaperOrder(Object.keys(p.emid), (n) => n);
  for (const n of ood) {
    if (!(n in p.emi)) throw new InputError(`${p.file} (${p.kind}): EMI: expected "${n}" (it has an EMID), found no such key`);
    if (!(n in p.bound)) throw new InputError(`${p.file} (${p.kind}): EMID_UB: expected "${n}" (it has an EMID), found no such key`);
  }
  return [scenarioRow(p.idName, true, p.emi[p.idName], null, null, extra(p.idName)), ...ood.map((n) => scenarioRow(n, false, p.emi[n], p.emid[n], p.bound[n], extra(n)))];
}

function assemble(scenarios: ScenarioResult[], base: Omit<RunResults, 'scenarios' | 'EMI' | 'EMID' | 'EMID_UB' | 'correlations' | 'boundHoldsEverywhere' | 'examples' | 'PearsonR' | 'PearsonPval'>): RunResults {
  const ood = scenarios.filter((s) => s.emid !== null);
  const emidVsBound = correlationSummary(ood.map((s) => s.emid as number), ood.map((s) => s.bound as number)) ?? {
    n: ood.length,
    pearson: { r: null, p: null },
    spearman: { rho: null, p: null },
    kendall: { tau: null, p: null },
  };
  return {
    ...base,
    EMI: Object.fromEntries(scenarios.map((s) => [s.name, s.emi])),
    EMID: Object.fromEntries(ood.map((s) => [s.name, s.emid as number])),
    EMID_UB: Object.fromEntries(ood.map((s) => [s.name, s.bound as number])),
    PearsonR: emidVsBound.pearson.r,
    PearsonPval: emidVsBound.pearson.p,
    scenarios: withAdjustedPValues(scenarios),
    correlations: { emidVsBound, emiVsRelativePreference: null, emiVsWinRate: null, emiVsSimulatedAccuracy: null },
    boundHoldsEverywhere: ood.every((s) => s.boundHolds === true),
    examples: [],
  };
}

/** RunResults from `emid --json` output. */
export function fromEmidJson(value: unknown, file: string): RunResults {
  const kind = '`emid --json` output';
  const v = checkSchema(emidJson, normaliseEmidKeys(value as Record<string, unknown>), file, kind);
  const ci = (m: Readonly<Record<string, readonly [number, number]>> | undefined, n: string): Interval | null => m?.[n] ?? null;
  const scenarios = scenarioRows({ file, idName: v.ID, emi: v.EMI, emid: v.EMID, bound: v.EMID_UB, kind }, (n) => {
    if (n !== v.ID && !(n in v.JSD)) throw new InputError(`${file} (${kind}): JSD: expected "${n}" (it has an EMID), found no such key`);
    return { n: v.n?.[n] ?? 0, emiCi95: ci(v.EMI_CI95, n), emidCi95: ci(v.EMID_CI95, n), emidPValue: v.EMID_PermutationPval?.[n] ?? null, jsd: n === v.ID ? null : v.JSD[n] };
  });
  return assemble(scenarios, {
    version: v.version ?? 'unknown',
    created: 'not recorded',
    run: {
      name: basename(file),
      model: 'not recorded in emid output',
      idScenario: v.ID,
      encoders: 'not recorded in emid output',
      estimator: v.estimator,
      bound: v.bound,
      jsdMixture: v.jsdMixture,
      simulated: false,
      source: 'emid',
      emiUnit: v.emiUnit ?? 'score',
      notes: [`Read from ${basename(file)}, the output of \`mllmshift emid --json\`: no judge scores or example responses.`],
    },
    JSD_null: v.JSD_null,
  });
}

/** RunResults from one of the authors' result files (EMI, EMID, EMID_UB, Pearson r). */
export function fromAuthorsJson(value: unknown, file: string): RunResults {
  const kind = "the authors' result file";
  const v = checkSchema(authorsJson, value, file, kind);
  const ids = Object.keys(v.EMI).filter((n) => !(n in v.EMID));
  if (ids.length !== 1) throw new InputError(`${file} (${kind}): EMI: expected exactly one scenario without an EMID (the ID set), found ${ids.length}`);
  const scenarios = scenarioRows({ file, idName: ids[0], emi: v.EMI, emid: v.EMID, bound: v.EMID_UB, kind }, () => ({}));
  const r = assemble(scenarios, {
    version: 'authors',
    created: 'not recorded',
    run: {
      name: `${v.shift_type ? `${v.shift_type.toLowerCase()} shifts, ` : ''}${v.model_name} (authors' results)`,
      model: v.model_name,
      idScenario: ids[0],
      encoders: v.v_embedder_name && v.t_embedder_name ? `${v.v_embedder_name} + ${v.t_embedder_name}` : 'not recorded',
      estimator: v.mi_ckpt_path ?? 'not recorded',
      bound: 'scale-adjusted',
      jsdMixture: 'sample-weighted',
      simulated: false,
      source: 'authors',
      emiUnit: 'score',
      notes: [
        `Read from ${basename(file)}, a result file released by the authors${v.ds_id ? ` (data: ${v.ds_id})` : ''}: it holds EMI, EMID and the scale-adjusted bound per scenario and Pearson r — no JSD terms, null baseline, intervals or judge scores.`,
      ],
    },
    JSD_null: null,
  });
  const theirs = v.PearsonR;
  const ours = r.correlations.emidVsBound.pearson.r;
  if (theirs !== null && ours !== null && Math.abs(theirs - ours) > 1e-6) {
    return { ...r, run: { ...r.run, notes: [...r.run.notes, `The file's PearsonR ${theirs} differs from the r recomputed from its EMID and EMID_UB (${ours}).`] } };
  }
  return r;
}

/** Read any results file the report renders (see the module comment). */
export function readResultsFile(file: string): RunResults {
  const value = readJsonFile(file);
  switch (resultsKind(value)) {
    case 'run':
      return parseRunResults(value, file);
    case 'emid':
      return fromEmidJson(value, file);
    case 'authors':
      return fromAuthorsJson(value, file);
    default:
      throw new InputError(`${file}: not a results file the report can render: ${EXPECTED}`);
  }
}
