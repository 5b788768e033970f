/**
 * LLaVA answer files (`model_vqa` output, DESIGN.md §5: `question_id`, `prompt`, `text`,
 * `answer_id`, `model_id`, `metadata`) as traffic. The answer file carries no image, so the
 * questions file it was made from (`question_id`, `image`, `text`) is read first (it is
 * benchmark-sized) and each answer is joined to its question by `question_id`. The files say
 * nothing about time: LLaVA traffic is windowed by count.
 */
import { InputError } from '../errors.js';
import { readJsonlObjects } from '../data/dataset-dir.js';
import { malformed, type LineParser, type TrafficImage } from './traffic.js';

interface LlavaQuestion {
  readonly image: string;
  readonly text: string;
}

const idOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);

/** Reads the questions file: question_id → image and question text. */
export function readLlavaQuestions(file: string): Map<string, LlavaQuestion> {
  const out = new Map<string, LlavaQuestion>();
  for (const { line, value } of readJsonlObjects(file)) {
    const id = idOf(value.question_id);
    if (id === undefined) throw new InputError(`${file}:${line}: question_id: expected a string or number`);
    if (typeof value.image !== 'string' || value.image === '') throw new InputError(`${file}:${line}: image: expected the image's file name`);
    if (typeof value.text !== 'string') throw new InputError(`${file}:${line}: text: expected the question`);
    if (out.has(id)) throw new InputError(`${file}:${line}: duplicate question_id ${id}`);
    out.set(id, { image: value.image, text: value.text });
  }
  return out;
}

/** A line parser for an answer file, joining each answer to `questions`. */
export function llavaAnswerParser(questions: ReadonlyMap<string, LlavaQuestion>): LineParser {
  return (value, line, ctx) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return malformed('line', 'a JSON object', value);
    const v = value as Record<string, unknown>;
    const id = idOf(v.question_id);
    if (id === undefined) return malformed('question_id', 'a string or number', v.question_id);
    if (typeof v.text !== 'string') return malformed('text', 'the answer as a string', v.text);
    const q = questions.get(id);
    if (!q) return { kind: 'skipped', reason: 'question_id not in the questions file' };
    if (v.text.trim() === '') return { kind: 'skipped', reason: 'empty answer' };
    const image = ctx.resolveImage(q.image);
    if ('skip' in image) return { kind: 'skipped', reason: image.skip };
    if ('error' in image) return { kind: 'malformed', message: `image of question ${id}: ${image.error}` };
    const question = typeof v.prompt === 'string' && v.prompt.trim() !== '' ? v.prompt : q.text;
    const answerId = idOf(v.answer_id);
    return { kind: 'records', records: [{ id: answerId ?? id, line, time: null, question, image: image as TrafficImage, answer: v.text }] };
  };
}
