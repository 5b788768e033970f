/**
 * Judge protocols as data (DESIGN.md §3, LLM judge). A protocol is everything that decides what
 * the judge is sent and how its reply is read:
 * - `system`: the system message;
 * - `rules`: per rule key, the reviewer's `role` ("Assistant") and the `prompt` after `[System]`;
 * - `ruleKey`: how a question's category becomes a rule key, per data set layout (LLaVA's COCO
 *   script looks up `conv`, its in-the-wild script `llava_bench_conv`); `ruleFallback`: the key
 *   used when a category has no rule (none: an unknown category is an error, as in LLaVA);
 * - `template` (and `templateNoContext`): the user message, with the placeholders {context},
 *   {question}, {role}, {answer1}, {answer2}, {rule} (one pass; values are never re-scanned);
 * - `scoreParser`: `llava` (LLaVA's parse_score: first line, commas → spaces, split on single
 *   spaces, exactly two Python floats, else [-1, -1]) or `lenient` (the project's reader);
 * - `temperature`, `maxTokens`, `parseRetries`.
 *
 * Registered protocols: `mllmshift` (the project's own rules; the offline default) and
 * `llava-bench` (built from LLaVA's `rule.json` and system line, which the program reads from
 * the user's copy or the models cache and never carries itself). Any other protocol is a JSON
 * file (`readProtocolFile`), and LLaVA-format rule files are read by `readLlavaRules`.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { readInputFile } from '../io/read-input.js';
import type { ChatMessage } from './client.js';

export type DataLayout = 'coco' | 'in-the-wild';
export type ScoreParserName = 'llava' | 'lenient';

export interface JudgeRule {
  readonly role: string;
  readonly prompt: string;
}

export interface JudgeProtocol {
  /** Recorded in every review and summary. */
  readonly name: string;
  readonly system: string;
  readonly rules: Readonly<Record<string, JudgeRule>>;
  /** Rule-key pattern per layout; `{category}` is replaced by the question's category. */
  readonly ruleKey: Readonly<Record<DataLayout, string>>;
  readonly ruleFallback?: string;
  readonly template: string;
  /** Used when a question has no image context; without it such a question is an error. */
  readonly templateNoContext?: string;
  /** Substituted for `{context_note}` inside rule prompts (the project's rules only). */
  readonly contextNote?: { readonly present: string; readonly absent: string };
  readonly scoreParser: ScoreParserName;
  readonly temperature: number;
  readonly maxTokens: number;
  /** Extra requests when a reply cannot be scored. */
  readonly parseRetries: number;
}

/** What one comparison needs. */
export interface JudgeItem {
  readonly question: string;
  readonly context?: string;
  readonly category?: string;
  readonly answer1: string;
  readonly answer2: string;
}

/** LLaVA's review content: the layout of `eval_gpt_review_bench.py` / `eval_gpt_review_visual.py`. */
export const LLAVA_TEMPLATE =
  '[Context]\n{context}\n\n[Question]\n{question}\n\n[{role} 1]\n{answer1}\n\n[End of {role} 1]\n\n[{role} 2]\n{answer2}\n\n[End of {role} 2]\n\n[System]\n{rule}\n\n';

const PROJECT_TEMPLATE_NO_CONTEXT =
  '[Question]\n{question}\n\n[{role} 1]\n{answer1}\n\n[End of {role} 1]\n\n[{role} 2]\n{answer2}\n\n[End of {role} 2]\n\n[System]\n{rule}\n\n';

/** LLaVA's rule keys: the COCO script uses the category, the in-the-wild script prefixes it. */
export const LLAVA_RULE_KEYS: Readonly<Record<DataLayout, string>> = { coco: '{category}', 'in-the-wild': 'llava_bench_{category}' };

const PROJECT_RULE_TAIL =
  'Rate each assistant on a scale from 1 to 10 for the helpfulness, relevance and accuracy of its answer and its level of detail; a higher score means a better answer overall.\n'
  + 'Your reply must start with one line that holds only the two scores, for Assistant 1 and then Assistant 2, separated by a space.\n'
  + 'From the next line on, explain your assessment thoroughly. Stay impartial, and do not let the order in which the answers are shown affect your judgment.';

const projectRule = (lead: string): JudgeRule => ({ role: 'Assistant', prompt: `${lead} {context_note}\n${PROJECT_RULE_TAIL}` });

/** The project's own judge protocol (its own wording; the default, needs nothing downloaded). */
export const PROJECT_PROTOCOL: JudgeProtocol = {
  name: 'mllmshift',
  system: 'You are an impartial, meticulous reviewer who assesses how well AI assistants answer questions about images.',
  rules: {
    conv: projectRule(
      'Two AI assistants have answered the user question shown above, which the user asked while looking at an image. '
      + 'It is a conversational question about what the image shows: a good answer is correct about the image, answers what was asked, and stays to the point.',
    ),
    detail: projectRule(
      'Two AI assistants have answered the user request shown above, which asks for a description of an image. '
      + 'A good answer describes the image thoroughly and accurately; details that the image does not support count against it.',
    ),
    complex: projectRule(
      'Two AI assistants have answered the user question shown above, which asks for reasoning about an image. '
      + 'A good answer draws sound, well-explained conclusions from what the image actually shows.',
    ),
    default: projectRule('Two AI assistants have answered the user question shown above, which the user asked while looking at an image.'),
  },
  // Both layouts: the category without LLaVA's `llava_bench_` prefix (see `categoryKey`).
  ruleKey: { coco: '{category}', 'in-the-wild': '{category}' },
  ruleFallback: 'default',
  template: LLAVA_TEMPLATE,
  templateNoContext: PROJECT_TEMPLATE_NO_CONTEXT,
  contextNote: {
    present: 'You cannot see the image: the [Context] section describes its visual content in a few sentences (and may list objects with their positions). Treat it as your view of the image.',
    absent: 'You cannot see the image and no description of it is available; judge the answers by their relevance, plausibility and internal consistency.',
  },
  scoreParser: 'lenient',
  temperature: 0.2,
  maxTokens: 1024,
  parseRetries: 2,
};

const sha8 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(path: string): unknown {
  const text = readInputFile(path).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

function parseRules(path: string, value: unknown, field: string): Record<string, JudgeRule> {
  if (!isObject(value) || Object.keys(value).length === 0) {
    throw new InputError(`${path}: ${field} must be an object of rules, {"<key>": {"role": …, "prompt": …}}`);
  }
  const rules: Record<string, JudgeRule> = {};
  for (const [key, r] of Object.entries(value)) {
    if (!isObject(r) || typeof r.role !== 'string' || typeof r.prompt !== 'string') {
      throw new InputError(`${path}: ${field}"${key}" must be {"role": string, "prompt": string}`);
    }
    rules[key] = { role: r.role, prompt: r.prompt };
  }
  return rules;
}

/** Reads a rule file in LLaVA's format (`{"llava_bench_conv": {"role", "prompt"}, "conv": …, …}`). */
export function readLlavaRules(path: string): Record<string, JudgeRule> {
  return parseRules(path, parseJson(path), '');
}

/**
 * LLaVA's protocol with the given rules and system line: LLaVA's content layout, rule keys,
 * parse_score, temperature 0.2, max_tokens 1024, one request per item.
 */
export function llavaProtocol(rules: Record<string, JudgeRule>, system: string, name?: string): JudgeProtocol {
  return {
    name: name ?? `llava-rules@${sha8(JSON.stringify([system, rules]))}`,
    system,
    rules,
    ruleKey: LLAVA_RULE_KEYS,
    template: LLAVA_TEMPLATE,
    scoreParser: 'llava',
    temperature: 0.2,
    maxTokens: 1024,
    parseRetries: 0,
  };
}

/**
 * Reads a protocol file: JSON with `name`, `system`, `rules` (LLaVA's rule format), and
 * optionally `rule_key` ({"coco": pattern, "in_the_wild": pattern}; default LLaVA's),
 * `rule_fallback`, `template` (default LLaVA's), `template_no_context`, `score_parser`
 * ("llava" | "lenient"; default "llava"), `temperature` (0.2), `max_tokens` (1024),
 * `parse_retries` (0).
 */
export function readProtocolFile(path: string): JudgeProtocol {
  const v = parseJson(path);
  if (!isObject(v)) throw new InputError(`${path}: a judge protocol must be a JSON object`);
  const str = (key: string, fallback?: string): string => {
    const x = v[key];
    if (x === undefined && fallback !== undefined) return fallback;
    if (typeof x !== 'string' || x === '') throw new InputError(`${path}: field "${key}" must be a non-empty string`);
    return x;
  };
  const num = (key: string, fallback: number, ok: (n: number) => boolean, what: string): number => {
    const x = v[key];
    if (x === undefined) return fallback;
    if (typeof x !== 'number' || !ok(x)) throw new InputError(`${path}: field "${key}" must be ${what}, found ${JSON.stringify(x)}`);
    return x;
  };
  let ruleKey = LLAVA_RULE_KEYS;
  if (v.rule_key !== undefined) {
    const rk = v.rule_key;
    if (!isObject(rk) || typeof rk.coco !== 'string' || typeof rk.in_the_wild !== 'string') {
      throw new InputError(`${path}: field "rule_key" must be {"coco": pattern, "in_the_wild": pattern}`);
    }
    ruleKey = { coco: rk.coco, 'in-the-wild': rk.in_the_wild };
  }
  const parser = str('score_parser', 'llava');
  if (parser !== 'llava' && parser !== 'lenient') throw new InputError(`${path}: field "score_parser" must be "llava" or "lenient", found "${parser}"`);
  const rules = parseRules(path, v.rules, 'rules.');
  const fallback = v.rule_fallback === undefined ? undefined : str('rule_fallback');
  if (fallback !== undefined && !(fallback in rules)) throw new InputError(`${path}: "rule_fallback" names "${fallback}", which is not a rule`);
  return {
    name: str('name'),
    system: str('system'),
    rules,
    ruleKey,
    ...(fallback !== undefined ? { ruleFallback: fallback } : {}),
    template: str('template', LLAVA_TEMPLATE),
    ...(v.template_no_context !== undefined ? { templateNoContext: str('template_no_context') } : {}),
    scoreParser: parser,
    temperature: num('temperature', 0.2, (n) => n >= 0 && n <= 2, 'a number in [0, 2]'),
    maxTokens: num('max_tokens', 1024, (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer'),
    parseRetries: num('parse_retries', 0, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer'),
  };
}

/** A category without LLaVA's `llava_bench_` prefix (samples from either layout may carry it). */
function categoryKey(category: string): string {
  return category.replace(/^llava_bench_/, '');
}

/** The rule a question is judged by; an unknown category without a fallback is an InputError. */
export function protocolRule(protocol: JudgeProtocol, category: string | undefined, layout: DataLayout): { key: string; rule: JudgeRule } {
  const key = protocol.ruleKey[layout].split('{category}').join(categoryKey(category ?? ''));
  const rule = protocol.rules[key];
  if (rule) return { key, rule };
  if (protocol.ruleFallback !== undefined) return { key: protocol.ruleFallback, rule: protocol.rules[protocol.ruleFallback] };
  throw new InputError(
    `judge protocol "${protocol.name}" has no rule "${key}" for category ${JSON.stringify(category ?? null)} (${layout} layout; rules: ${Object.keys(protocol.rules).join(', ')})`,
  );
}

const PLACEHOLDER = /\{(context|question|role|answer1|answer2|rule)\}/g;

/** The judge's chat messages for one comparison under a protocol. */
export function protocolMessages(protocol: JudgeProtocol, item: JudgeItem, layout: DataLayout): ChatMessage[] {
  const hasContext = item.context !== undefined && item.context.trim() !== '';
  const template = hasContext ? protocol.template : protocol.templateNoContext;
  if (template === undefined) {
    throw new InputError(`judge protocol "${protocol.name}" needs the image context (captions / description), and a question has none; give the data set's context file`);
  }
  const { rule } = protocolRule(protocol, item.category, layout);
  const prompt = protocol.contextNote
    ? rule.prompt.split('{context_note}').join(hasContext ? protocol.contextNote.present : protocol.contextNote.absent)
    : rule.prompt;
  const values: Record<string, string> = {
    context: item.context ?? '',
    question: item.question,
    role: rule.role,
    answer1: item.answer1,
    answer2: item.answer2,
    rule: prompt,
  };
  return [
    { role: 'system', content: protocol.system },
    { role: 'user', content: template.replace(PLACEHOLDER, (_, k: string) => values[k]) },
  ];
}

// ── score parsers ────────────────────────────────────────────────────────────────────────────

/** Python's float(s): surrounding whitespace, sign, digits with single underscores, inf/nan. */
const PY_FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.?(?:[eE][+-]?\d(?:_?\d)*)?|inf(?:inity)?|nan)$/i;

/** Python's float() of a string, or undefined where Python raises ValueError. */
export function pythonFloat(s: string): number | undefined {
  const t = s.replace(/^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/g, '');
  if (!PY_FLOAT.test(t)) return undefined;
  const lower = t.toLowerCase().replace(/_/g, '');
  if (/inf/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (/nan/.test(lower)) return NaN;
  return Number(lower);
}

/** LLaVA's parse_score: the first line, commas as spaces, split on single spaces, two floats; else [-1, -1]. */
export function llavaParseScore(review: string): [number, number] {
  const sp = review.split('\n')[0].replace(/,/g, ' ').split(' ');
  if (sp.length !== 2) return [-1, -1];
  const a = pythonFloat(sp[0]);
  const b = pythonFloat(sp[1]);
  return a === undefined || b === undefined ? [-1, -1] : [a, b];
}

const NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * The project's reader: the two scores on the first non-empty line, or undefined when that line
 * does not hold exactly two numbers in [1, 10]. Tolerated around them: Markdown emphasis,
 * separators (space, comma, semicolon, slash, "and", "vs"), "/10" suffixes and
 * "Assistant 1:" / "Assistant 2:" labels. Examples: "8 7", "8, 7", "**8/10 7/10**",
 * "Assistant 1: 8 Assistant 2: 6.5".
 */
export function parseJudgeScores(reply: string): [number, number] | undefined {
  const first = reply.split(/\r?\n/).find((l) => l.trim() !== '');
  if (first === undefined) return undefined;
  const cleaned = first
    .replace(/[*_`#>]/g, ' ')
    .replace(/assistant\s*[12]\s*[:=-]?/gi, ' ')
    .replace(/scores?\s*[:=-]?/gi, ' ')
    .replace(/(\d)\s*\/\s*10\b/g, '$1')
    .replace(/\b(and|vs\.?)\b/gi, ' ')
    .replace(/[,;:/()[\]]/g, ' ')
    .trim();
  const tokens = cleaned.split(/\s+/).filter((t) => t !== '');
  if (tokens.length !== 2 || !tokens.every((t) => NUMBER.test(t))) return undefined;
  const scores = tokens.map(Number) as [number, number];
  return scores.every((s) => s >= 1 && s <= 10) ? scores : undefined;
}

/**
 * A reply's scores under a protocol's parser, or undefined when it cannot be scored. LLaVA's
 * parser turns a failure into [-1, -1]; that, and any negative or non-finite score (which a
 * JSON review cannot hold), counts as failed, as in `readReviewFile`.
 */
export function protocolScores(protocol: JudgeProtocol, reply: string): [number, number] | undefined {
  if (protocol.scoreParser === 'lenient') return parseJudgeScores(reply);
  const s = llavaParseScore(reply);
  return s.every((x) => Number.isFinite(x) && x >= 0) ? s : undefined;
}

/** The `tuple` a failed judgment is written with: LLaVA's [-1, -1] under its parser, else null. */
export function failedTuple(protocol: JudgeProtocol): [number, number] | null {
  return protocol.scoreParser === 'llava' ? [-1, -1] : null;
}
