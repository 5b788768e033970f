/**
 * The LLaVA answer-file format (DESIGN.md §5): JSONL, one object per response with
 * `question_id`, `prompt`, `text`, `answer_id`, `model_id`, `metadata`. LLaVA writes integer
 * question ids; a sample id that is a plain non-negative integer is written as a number for
 * that reason, and ids are compared as strings when reading.
 */
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors.js';
import { readJsonl, type JsonlContents } from './jsonl-log.js';

export interface AnswerRecord {
  readonly question_id: number | string;
  readonly prompt: string;
  readonly text: string;
  readonly answer_id: string;
  readonly model_id: string;
  readonly metadata: Record<string, unknown>;
}

export interface AnswerLog {
  readonly records: AnswerRecord[];
  /** Records by question id (as a string). */
  readonly byId: Map<string, AnswerRecord>;
}

/** A sample id as LLaVA writes question ids: a number when it is a plain integer. */
export function questionIdFor(sampleId: string): number | string {
  return /^(0|[1-9]\d{0,14})$/.test(sampleId) ? Number(sampleId) : sampleId;
}

/** A random 22-character base-62 id, the shape of LLaVA's `answer_id`. */
export function newAnswerId(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let out = '';
  while (out.length < 22) {
    for (const byte of randomBytes(32)) {
      if (byte < 248 && out.length < 22) out += alphabet[byte % 62];
    }
  }
  return out;
}

function parseAnswer(value: unknown, path: string, line: number): AnswerRecord {
  const where = `${path}: line ${line}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(`${where}: expected a JSON object (an answer record)`);
  }
  const v = value as Record<string, unknown>;
  const qid = v.question_id;
  if (!(typeof qid === 'string' && qid !== '') && !(typeof qid === 'number' && Number.isFinite(qid))) {
    throw new InputError(`${where}: "question_id" must be a number or a non-empty string, found ${JSON.stringify(qid)}`);
  }
  if (typeof v.text !== 'string') {
    throw new InputError(`${where}: "text" must be a string, found ${JSON.stringify(v.text)}`);
  }
  const str = (k: string): string => (typeof v[k] === 'string' ? (v[k] as string) : '');
  const metadata = typeof v.metadata === 'object' && v.metadata !== null && !Array.isArray(v.metadata)
    ? (v.metadata as Record<string, unknown>)
    : {};
  return {
    question_id: qid as number | string,
    prompt: str('prompt'),
    text: v.text,
    answer_id: str('answer_id'),
    model_id: str('model_id'),
    metadata,
  };
}

/**
 * The answers in an answer file being written by `collectResponses` (read with `readJsonl`, so
 * a torn last line is already left out); duplicates are an error. (Finished answer files from
 * anywhere are read with `readAnswerFile` in data/responses.ts.)
 */
export function answerLog(contents: JsonlContents, path: string): AnswerLog {
  const records: AnswerRecord[] = [];
  const byId = new Map<string, AnswerRecord>();
  contents.values.forEach((value, i) => {
    const rec = parseAnswer(value, path, contents.lines[i]);
    const id = String(rec.question_id);
    if (byId.has(id)) throw new InputError(`${path}: line ${contents.lines[i]}: question_id ${id} appears twice`);
    byId.set(id, rec);
    records.push(rec);
  });
  return { records, byId };
}

/** Reads an answer file for resuming: a missing file is empty, a torn last line is ignored. */
export function readAnswerLog(path: string): AnswerLog {
  return answerLog(readJsonl(path), path);
}
