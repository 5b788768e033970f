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
const adjusted = z.object({ holm: num, bh: num }).nullable().default(null);

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
  // Absent in results written before multiplicity adjustments existed.
  emidPValueAdjusted: adjusted,
  jsd: z.object({ visual: num, text: num, idOutput: num, oodOutput: num }).nullable(),
  bound: nullableNum,
  boundHolds: z.boolean().nullable(),
  judge: z
    .object({
      relativePreference: num,
      relativePreferenceCi95: interval,
      winRate: num,
      winRateCi95: interval,
      wins: z.number().int().nonnegative().nullable().default(null),
      ties: z.number().int().nonnegative().nullable().default(null),
      losses: z.number().int().nonnegative().nullable().default(null),
      judged: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      differencePValue: nullableNum.default(null),
      differencePValueAdjusted: adjusted,
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
    // Absent in results written before these fields existed: a study, with the paper's estimator.
    source: z.enum(['run', 'emid', 'authors']).default('run'),
    emiUnit: z.enum(['score', 'nats']).default('score'),
    notes: z.array(z.string()),
  }),
  EMI: z.record(z.string(), num),
  EMID: z.record(z.string(), num),
  EMID_UB: z.record(z.string(), num),
  PearsonR: nullableNum,
  PearsonPval: nullableNum,
  JSD_null: z.object({ visual: num, text: num, output: num, halfSize: num }).nullable(),
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

/** What a value is, in words, for error messages: "a string", "null", "missing". */
function found(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value === 'number' ? 'the number' : `a ${typeof value}`} ${JSON.stringify(value).slice(0, 40)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/**
 * Check `value` against `schema`; a failure is one InputError line naming the file, what the
 * file was taken for, the field and what was expected, e.g.
 * "out/results.json (results of `run`/`demo`): scenarios.3.emi: expected a number, found null".
 */
export function checkSchema<T>(schema: z.ZodType<T>, value: unknown, file: string, kind: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const where = first.path.length > 0 ? first.path.map(String).join('.') : '(top level)';
  const expected =
    first.code === 'invalid_type' ? `expected ${first.expected === 'tuple' ? 'a [low, high] pair' : `a${/^[aeiou]/.test(first.expected) ? 'n' : ''} ${first.expected}`}, found ${found(valueAt(value, first.path))}`
      : first.code === 'invalid_value' ? `expected one of ${first.values.map((v) => JSON.stringify(v)).join(', ')}, found ${found(valueAt(value, first.path))}`
        : first.code === 'too_small' ? `expected at least ${String(first.minimum)}${first.origin === 'array' ? (Number(first.minimum) === 1 ? ' entry' : ' entries') : ''}`
          : first.message;
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem${r.error.issues.length > 2 ? 's' : ''})` : '';
  throw new InputError(`${file} (${kind}): ${where}: ${expected}${more}`);
}

/**
 * Validate a parsed results document; `file` names it in errors, e.g.
 * "out/results.json (results of `run`/`demo`): scenarios.3.emi: expected a number, found null".
 */
export function parseRunResults(value: unknown, file: string): RunResults {
  return checkSchema(runResults, value, file, 'results of `run`/`demo`') as RunResults;
}

/** Read a JSON file; a missing, unreadable or unparsable file is an InputError naming it. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError(code === 'ENOENT' ? `${file}: file not found` : `${file}: cannot read (${code})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Read and validate a results file written by `mllmshift run` or `mllmshift demo`. */
export function readRunResults(file: string): RunResults {
  return parseRunResults(readJsonFile(file), file);
}
