/**
 * LLaVA-Bench style data sets: a questions JSONL (`question_id`, `image`, `text`, `category`),
 * an image folder, a reference-answers JSONL (`question_id`, `text`; GPT-4 answers) and,
 * optionally, a context JSONL used by the text-only judge.
 *
 * Known layouts:
 * - COCO (LLaVA-Bench COCO, the paper's ID set): `qa90_questions.jsonl`,
 *   `qa90_gpt4_answer.jsonl`, `caps_boxes_coco2014_val_80.jsonl` (`image`, `captions` [..],
 *   `instances` [{category, bbox}]) and COCO val2014 images.
 * - In-the-wild: `questions.jsonl`, `answers_gpt4.jsonl`, `context.jsonl` (`image`, `caption`)
 *   and `images/`.
 * The context string is what LLaVA's review scripts put after `[Context]`: the captions joined
 * by newlines, then (COCO) a blank line and one `category: [x, y, w, h]` line per instance.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { readJsonlObjects, stringField, withOptional } from './dataset-dir.js';
import type { Sample } from './sample.js';
import { ImageRoots, type ImageRootOptions } from './image-root.js';

export interface LlavaBenchFiles {
  /** Questions JSONL. */
  readonly questions: string;
  /** Folder the `image` fields are relative to. */
  readonly images: string;
  /** Reference answers JSONL (GPT-4); optional. */
  readonly answers?: string;
  /** Context JSONL (captions / boxes); optional. */
  readonly context?: string;
}

const QUESTION_NAMES = ['questions.jsonl', 'qa90_questions.jsonl'];
const ANSWER_NAMES = ['answers_gpt4.jsonl', 'qa90_gpt4_answer.jsonl'];
const CONTEXT_NAMES = ['context.jsonl', 'caps_boxes_coco2014_val_80.jsonl'];

/** Find the first existing name of `names`, else the single file matching `pattern`. */
function findOne(dir: string, names: readonly string[], pattern: RegExp): string | undefined {
  for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  const matches = readdirSync(dir).filter((f) => pattern.test(f)).sort();
  if (matches.length > 1) {
    throw new InputError(`${dir}: several files match ${pattern} (${matches.join(', ')}); pass the one to use explicitly`);
  }
  return matches.length === 1 ? join(dir, matches[0]) : undefined;
}

/** Locate the LLaVA-Bench files in a directory (undefined when it holds no questions file). */
export function detectLlavaBench(dir: string, overrides: Partial<LlavaBenchFiles> = {}): LlavaBenchFiles | undefined {
  const questions = overrides.questions ?? findOne(dir, QUESTION_NAMES, /questions.*\.jsonl$/);
  if (!questions) return undefined;
  const answers = overrides.answers ?? findOne(dir, ANSWER_NAMES, /(gpt4.*answer|answers?_gpt4).*\.jsonl$/);
  const context = overrides.context ?? findOne(dir, CONTEXT_NAMES, /^(context|caps_boxes).*\.jsonl$/);
  let images = overrides.images;
  if (!images) images = existsSync(join(dir, 'images')) && statSync(join(dir, 'images')).isDirectory() ? join(dir, 'images') : dir;
  return { questions, images, ...(answers ? { answers } : {}), ...(context ? { context } : {}) };
}

/** The `[Context]` text for one context record (see the module comment). */
export function contextText(rec: Record<string, unknown>, where: string): string {
  const cap = rec.captions ?? rec.caption;
  let capStr: string;
  if (typeof cap === 'string') capStr = cap;
  else if (Array.isArray(cap) && cap.every((c) => typeof c === 'string')) capStr = cap.join('\n');
  else throw new InputError(`${where}: field "caption"/"captions" must be a string or an array of strings`);
  const inst = rec.instances;
  if (inst === undefined) return capStr;
  if (!Array.isArray(inst)) throw new InputError(`${where}: field "instances" must be an array`);
  const boxes = inst.map((o, k) => {
    const cat = (o as { category?: unknown })?.category;
    const bbox = (o as { bbox?: unknown })?.bbox;
    if (typeof cat !== 'string' || !Array.isArray(bbox) || !bbox.every((x) => typeof x === 'number')) {
      throw new InputError(`${where}: instances[${k}] needs a string "category" and a numeric array "bbox"`);
    }
    return `${cat}: [${(bbox as number[]).map(pyFloat).join(', ')}]`;
  });
  return `${capStr}\n\n${boxes.join('\n')}`;
}

/**
 * Python's repr of a float read from JSON (so contexts match LLaVA's review prompts): the
 * shortest round-trip digits, positional for decimal exponents −4…15 (an integer value gets
 * ".0"), else scientific with a signed two-digit exponent. E.g. 0.37 → "0.37", 1 → "1.0",
 * 1e-5 → "1e-05", 1e16 → "1e+16", 123.0 → "123.0".
 */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = Math.abs(x).toExponential().split('e');
  const exp = Number(expText);
  const digits = mantissa.replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
}

const COCO_BOX_LINE = /^[^\n]*: \[[^\]\n]*\]$/;

/**
 * Which of LLaVA's review scripts a data set's contexts come from: `coco` when every context
 * ends with the box lines `contextText` writes for COCO (`category: [x, y, w, h]`, after a blank
 * line), else `in-the-wild` (free-text descriptions, or no context at all).
 */
export function inferLayout(samples: readonly { readonly context?: string }[]): 'coco' | 'in-the-wild' {
  const contexts = samples.map((s) => s.context).filter((c): c is string => c !== undefined && c !== '');
  if (contexts.length === 0) return 'in-the-wild';
  const coco = contexts.every((c) => {
    const at = c.lastIndexOf('\n\n');
    if (at < 0) return false;
    const tail = c.slice(at + 2);
    return tail === '' || tail.split('\n').every((l) => COCO_BOX_LINE.test(l));
  });
  return coco ? 'coco' : 'in-the-wild';
}

/** Read `{question_id → text}` from an answer JSONL, validating ids and duplicates. */
export function readAnswerTexts(file: string): Map<string, { text: string; line: number }> {
  const out = new Map<string, { text: string; line: number }>();
  for (const { line, value } of readJsonlObjects(file)) {
    const where = `${file}:${line}`;
    const id = stringField(value, 'question_id', where, { allowNumber: true })!;
    const text = stringField(value, 'text', where)!;
    const prev = out.get(id);
    if (prev) throw new InputError(`${where}: duplicate question_id ${id} (first on line ${prev.line})`);
    out.set(id, { text, line });
  }
  return out;
}

/**
 * The file of a question's image: `images/<name>`, or, for the COCO set, the COCO val2014 file
 * name (`qa90_questions.jsonl` says `000000441147.jpg`, the COCO download has
 * `COCO_val2014_000000441147.jpg`).
 */
function findImage(dir: string, name: string): string | undefined {
  for (const candidate of [name, `COCO_val2014_${name}`]) {
    const p = resolve(dir, candidate);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Load a LLaVA-Bench style data set into samples, in the order of the questions file. */
export function loadLlavaBench(files: LlavaBenchFiles, roots: ImageRootOptions = {}): Sample[] {
  const contain = new ImageRoots(dirname(files.questions), roots);
  const refs = files.answers ? readAnswerTexts(files.answers) : undefined;
  const contexts = new Map<string, string>();
  if (files.context) {
    for (const { line, value } of readJsonlObjects(files.context)) {
      const where = `${files.context}:${line}`;
      const image = stringField(value, 'image', where)!;
      contexts.set(image, contextText(value, where));
    }
  }
  const samples: Sample[] = [];
  const seen = new Map<string, number>();
  for (const { line, value } of readJsonlObjects(files.questions)) {
    const where = `${files.questions}:${line}`;
    const id = stringField(value, 'question_id', where, { allowNumber: true })!;
    if (seen.has(id)) throw new InputError(`${where}: duplicate question_id ${id} (first on line ${seen.get(id)})`);
    seen.set(id, line);
    const image = stringField(value, 'image', where)!;
    const imagePath = findImage(files.images, image);
    if (!imagePath) throw new InputError(`${where}: image "${image}" not found in ${files.images}`);
    contain.check(imagePath, where, image);
    const question = stringField(value, 'text', where)!;
    const category = stringField(value, 'category', where, { optional: true });
    samples.push(
      withOptional(
        { id, image: { kind: 'file', path: imagePath }, question },
        { referenceAnswer: refs?.get(id)?.text, category, context: contexts.get(image) },
      ),
    );
  }
  if (refs) {
    for (const [id, { line }] of refs) {
      if (!seen.has(id)) throw new InputError(`${files.answers}:${line}: question_id ${id} is not in ${files.questions}`);
    }
  }
  return samples;
}
