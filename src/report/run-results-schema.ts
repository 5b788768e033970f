/**
 * Reading `results.json` (RunResults, see run-results.ts) from disk for `mllmshift report`:
 * the file is untrusted input, so every field the report reads is checked, and the first
 * problem is reported with the file and the field's path. Unknown extra fields are ignored.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { RunResults } from './run-results.js';

const num = z.number();
const interval = z.tuple([num, num]).nullable();
const nullableNum = num.nullable();

const correlation = z.object({
  n: z.number().int().nonnegative(),
  pearson: z.object({ r: nullableNum, p: nullableNum }),
  spearman: z.object({ rho: nullableNum, p: nullableNum }),
  kendall: z.object({ tau: nullableNum, p: nullableNum }),
});

const scenario = z.object({
  name: z.string(),
  modality: z.enum(['id', 'visual', 'text', 'joint']),
  visualShift: z.string().nullable(),
  visualSeverity: nullableNum,
  textShift: z.string().nullable(),
  textSeverity: nullableNum,
  n: z.number().int().nonnegative(),
  emi: num,
  emiCi95: interval,
  emid: nullableNum,
  emidCi95: interval,
  emidPValue: nullableNum,
  jsd: z.object({ visual: num, text: num, idOutput: num, oodOutput: num }).nullable(),
  bound: nullableNum,
  boundHolds: z.boolean().nullable(),
  judge: z
    .object({
      relativePreference: num,
      relativePreferenceCi95: interval,
      winRate: num,
      winRateCi95: interval,
      judged: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
    })
    .nullable(),
  simulatedAccuracy: nullableNum,
});

const runResults = z.object({
  version: z.string(),
  created: z.string(),
  run: z.object({
    name: z.string(),
    model: z.string(),
    idScenario: z.string(),
    encoders: z.string(),
    estimator: z.string(),
    bound: z.enum(['scale-adjusted', 'full']),
    jsdMixture: z.enum(['equal', 'sample-weighted']),
    simulated: z.boolean(),
    notes: z.array(z.string()),
  }),
  EMI: z.record(z.string(), num),
  EMID: z.record(z.string(), num),
  EMID_UB: z.record(z.string(), num),
  PearsonR: nullableNum,
  PearsonPval: nullableNum,
  JSD_null: z.object({ visual: num, text: num, output: num, halfSize: num }),
  scenarios: z.array(scenario).min(1),
  correlations: z.object({
    emidVsBound: correlation,
    emiVsRelativePreference: correlation.nullable(),
    emiVsWinRate: correlation.nullable(),
    emiVsSimulatedAccuracy: correlation.nullable(),
  }),
  boundHoldsEverywhere: z.boolean(),
  examples: z.array(z.object({ scenario: z.string(), id: z.string(), question: z.string(), response: z.string(), reference: z.string() })),
});

/**
 * Validate a parsed results document; `file` names it in errors, e.g.
 * "out/results.json: scenarios.3.emi: expected number, received null".
 */
export function parseRunResults(value: unknown, file: string): RunResults {
  const r = runResults.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first.path.length > 0 ? first.path.map(String).join('.') : '(top level)';
    const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more issue${r.error.issues.length > 2 ? 's' : ''})` : '';
    throw new InputError(`${file}: ${where}: ${first.message}${more}`);
  }
  return r.data;
}

/** Read and validate a results file written by `mllmshift run` or `mllmshift demo`. */
export function readRunResults(file: string): RunResults {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError(code === 'ENOENT' ? `${file}: file not found` : `${file}: cannot read (${code})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseRunResults(value, file);
}
