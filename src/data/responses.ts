/**
 * Model responses in LLaVA answer-file format (DESIGN.md §5): one JSON object per line with
 * `question_id`, `prompt`, `text`, `answer_id`, `model_id`, `metadata`.
 *
 * The authors' files are named `{scenario}_{model}.jsonl`; for the in-the-wild sets the
 * `_easy/_normal/_hard` part is not in the file name (`llava_bench_in_the_wild_{Language}_{model}`
 * holds all 60 answers) and the easy/hard halves are taken by index from `lbwild_split_idx.json`
 * (keys `{easy,hard}_ood_{fst,lst}_cd_new`; the paper uses `fst`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { readJsonlObjects, stringField } from './dataset-dir.js';
import { parseScenario } from './scenarios.js';
import type { Sample } from './sample.js';

export interface ResponseRecord {
  readonly questionId: string;
  readonly text: string;
  readonly prompt?: string;
  readonly answerId?: string;
  readonly modelId?: string;
  readonly metadata?: unknown;
  /** 1-based line in the file it came from. */
  readonly line: number;
}

/** Read an answer file, checking fields and duplicate `question_id`s. */
export function readAnswerFile(file: string): ResponseRecord[] {
  const out: ResponseRecord[] = [];
  const seen = new Map<string, number>();
  for (const { line, value } of readJsonlObjects(file)) {
    const where = `${file}:${line}`;
    const questionId = stringField(value, 'question_id', where, { allowNumber: true, nonEmpty: true })!;
    const prev = seen.get(questionId);
    if (prev !== undefined) throw new InputError(`${where}: duplicate question_id ${questionId} (first on line ${prev})`);
    seen.set(questionId, line);
    const text = stringField(value, 'text', where)!;
    const prompt = stringField(value, 'prompt', where, { optional: true });
    const answerId = stringField(value, 'answer_id', where, { optional: true, allowNumber: true });
    const modelId = stringField(value, 'model_id', where, { optional: true });
    out.push({
      questionId,
      text,
      line,
      ...(prompt !== undefined ? { prompt } : {}),
      ...(answerId !== undefined ? { answerId } : {}),
      ...(modelId !== undefined ? { modelId } : {}),
      ...(value.metadata !== undefined ? { metadata: value.metadata } : {}),
    });
  }
  return out;
}

/**
 * The response to each sample, in sample order, matched by `question_id` = sample id.
 * Missing responses are an error naming the first few ids; extra responses are ignored.
 */
export function matchResponses(samples: readonly Sample[], responses: readonly ResponseRecord[], file: string): ResponseRecord[] {
  const byId = new Map(responses.map((r) => [r.questionId, r]));
  const missing = samples.filter((s) => !byId.has(s.id)).map((s) => s.id);
  if (missing.length > 0) {
    throw new InputError(`${file}: no response for ${missing.length} sample(s) (question_id ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`);
  }
  return samples.map((s) => byId.get(s.id)!);
}

/** Whitespace runs as one space, ends trimmed: the form in which a prompt is compared with its question. */
function normalizedText(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function clip(s: string, n = 60): string {
  const t = normalizedText(s);
  return JSON.stringify(t.length > n ? `${t.slice(0, n)}…` : t);
}

/**
 * Checks that each answer was given to the question of its sample: an answer's `prompt` (when
 * it has one) must equal the sample's question, up to whitespace. An answer file of another
 * scenario (an off-by-one in a loop over scenarios) otherwise gives wrong numbers silently.
 * Throws an InputError naming the file, line and question_id of the first mismatch; with
 * `allowMismatch` returns that description as a warning instead (undefined when all match).
 * Answers to questions outside the data set are not looked at.
 */
export function checkAnswerPrompts(
  samples: readonly Sample[],
  answers: ReadonlyMap<string, ResponseRecord> | readonly ResponseRecord[],
  file: string,
  allowMismatch = false,
): string | undefined {
  const byId = answers instanceof Map ? answers : new Map((answers as readonly ResponseRecord[]).map((r) => [r.questionId, r]));
  let first: string | undefined;
  let count = 0;
  for (const s of samples) {
    const r = byId.get(s.id);
    if (r?.prompt === undefined || normalizedText(r.prompt) === normalizedText(s.question)) continue;
    count += 1;
    first ??= `${file}:${r.line}: question_id ${s.id}: the answer's prompt ${clip(r.prompt)} is not the data set's question ${clip(s.question)}`;
  }
  if (first === undefined) return undefined;
  const message = `${first} (${count} of ${samples.length} answers differ; is it the answer file of another scenario?)`;
  if (!allowMismatch) throw new InputError(`${message}; --allow-prompt-mismatch uses it anyway`);
  return message;
}

/** The authors' answer-file name for a scenario and model (in-the-wild: without the split part). */
export function responseFileName(scenario: string, model: string): string {
  return `${scenario.replace(/^llava_bench_in_the_wild_(easy|normal|hard)_/, 'llava_bench_in_the_wild_')}_${model}.jsonl`;
}

export type SplitIndexVariant = 'fst_cd_new' | 'lst_cd_new';

/** Read the easy or hard index list from `lbwild_split_idx.json` (key `{split}_ood_{variant}`). */
export function readSplitIndices(file: string, split: 'easy' | 'hard', variant: SplitIndexVariant = 'fst_cd_new'): number[] {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: cannot read JSON (${(e as Error).message})`);
  }
  const key = `${split}_ood_${variant}`;
  const list = (v as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(list) || !list.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new InputError(`${file}: key "${key}" must be an array of non-negative integers`);
  }
  if (new Set(list).size !== list.length) throw new InputError(`${file}: key "${key}" repeats an index`);
  return list as number[];
}

/**
 * Load the responses of `model` on `scenario` from a directory of the authors' answer files.
 * In-the-wild easy/hard take the rows whose `question_id` is in the index list, in list order
 * (the authors' order); normal takes all rows.
 */
export function loadScenarioResponses(dir: string, scenario: string, model: string, splitIndexFile = join(dir, 'lbwild_split_idx.json')): ResponseRecord[] {
  const file = join(dir, responseFileName(scenario, model));
  if (!existsSync(file)) throw new InputError(`${file}: response file not found for scenario ${scenario}, model ${model}`);
  const rows = readAnswerFile(file);
  const split = parseScenario(scenario).split;
  if (split === undefined || split === 'normal') return rows;
  const byId = new Map(rows.map((r) => [r.questionId, r]));
  return readSplitIndices(splitIndexFile, split).map((i) => {
    const r = byId.get(String(i));
    if (!r) throw new InputError(`${file}: no row with question_id ${i} (listed in ${splitIndexFile})`);
    return r;
  });
}
