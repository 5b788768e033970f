/**
 * The LLaVA-Bench LLM judge (DESIGN.md §3). A text-only judge model reads the image's context
 * (captions / description, when the data set has one), the question, Assistant 1 = the
 * reference answer and Assistant 2 = the model's answer, and a rule for the question's
 * category; it must reply with two 1–10 scores on its first line, then an explanation.
 *
 * What is sent and how replies are read is a judge protocol (`judge-protocol.ts`): the
 * project's own rules by default, LLaVA's with `llava-bench`; each review names its protocol.
 * Replies that cannot be scored are asked again (`parseRetries` times, the protocol's default);
 * if they still fail, the review is written with the protocol's failed tuple (null, or LLaVA's
 * [-1, -1]) and an `error`, so it is counted as failed and never averaged in. With `bothOrders`, every item is also judged with
 * the answers swapped and the two verdicts are averaged, cancelling position bias.
 *
 * Reviews are appended and fsync'd as they arrive, under a lock; rerunning resumes, and a
 * complete file is rewritten in data set order (see `infer.ts`).
 */
import { InputError } from '../errors.js';
import type { Sample } from '../data/sample.js';
import type { ResponseRecord } from '../data/responses.js';
import { questionIdFor } from './answers.js';
import { completeCached, type ResponseCache } from './cache.js';
import { ChatRequestError, type ChatClient, type ChatMessage, type ChatRequest } from './client.js';
import { inferLayout } from '../data/llava-bench.js';
import {
  PROJECT_PROTOCOL, failedTuple, protocolMessages, protocolScores, type DataLayout, type JudgeItem, type JudgeProtocol,
} from './judge-protocol.js';
import { inSampleOrder, indexSamples, type SampleFailure } from './infer.js';
import { JsonlAppender, type JsonlContents } from './jsonl-log.js';
import { runPool } from './pool.js';

/** The judge's chat messages for one comparison (the project's protocol unless another is given). */
export function judgeMessages(item: JudgeItem, protocol: JudgeProtocol = PROJECT_PROTOCOL, layout: DataLayout = 'in-the-wild'): ChatMessage[] {
  return protocolMessages(protocol, item, layout);
}

function isFailedTuple(t: readonly [number, number] | null): boolean {
  return t === null || !t.every((x) => Number.isFinite(x) && x >= 0);
}

/** One line of a reviews file. `tuple` is [reference score, model score], or null when the judgment failed. */
export interface ReviewRecord {
  readonly question_id: number | string;
  readonly category?: string;
  readonly tuple: [number, number] | null;
  readonly content: string;
  readonly answer1_id: string;
  readonly answer2_id: string;
  readonly model_id: string;
  readonly judge_model: string;
  /** The judge protocol's name (reviews written before protocols existed have none: `mllmshift`). */
  readonly protocol?: string;
  readonly both_orders: boolean;
  /** With both orders: the verdict with the model's answer shown first, mapped back to [reference, model]. */
  readonly swapped?: { readonly tuple: [number, number] | null; readonly content: string };
  /** Why the judgment failed (only when `tuple` is null). */
  readonly error?: string;
}

export interface JudgeOptions {
  readonly samples: readonly Sample[];
  /** The model's answers, by question id (as a string); answers to other questions are ignored. */
  readonly answers: ReadonlyMap<string, ResponseRecord>;
  /** Reference answers by question id; when absent, each sample's `referenceAnswer` is used. */
  readonly references?: ReadonlyMap<string, ResponseRecord>;
  readonly client: ChatClient;
  readonly judgeModel: string;
  readonly outPath: string;
  readonly bothOrders?: boolean;
  readonly cache?: ResponseCache;
  /** Default: the project's protocol. */
  readonly protocol?: JudgeProtocol;
  /** Picks the rule key (LLaVA's COCO vs in-the-wild scripts); default inferred from the contexts. */
  readonly layout?: DataLayout;
  /** Default: the protocol's (1024 for both registered protocols, as LLaVA's review script). */
  readonly maxTokens?: number;
  /** Default: the protocol's (0.2 for both registered protocols, as LLaVA's review script). */
  readonly temperature?: number;
  /** Extra requests for a reply whose scores cannot be read; default: the protocol's. */
  readonly parseRetries?: number;
  /** Judge again the items whose earlier judgment failed (their old reviews are removed). */
  readonly retryFailed?: boolean;
  readonly maxConsecutiveFailures?: number;
  /** Called once after the existing reviews are read, then after each item. */
  readonly onProgress?: (p: JudgeProgress) => void;
  readonly signal?: AbortSignal;
}

export interface JudgeProgress {
  readonly total: number;
  readonly done: number;
  readonly unparsable: number;
  readonly failed: number;
}

export interface JudgeSummary {
  readonly outPath: string;
  readonly total: number;
  readonly resumed: number;
  readonly written: number;
  /** Reviews in the file (old and new) whose scores could not be read. */
  readonly unparsable: number;
  /** Extra judge requests made because a reply could not be parsed. */
  readonly parseRetries: number;
  /** Items whose judge requests failed (endpoint errors); not written, a rerun retries them. */
  readonly failures: readonly SampleFailure[];
  readonly stoppedEarly: boolean;
}

interface PreparedItem {
  readonly sample: Sample;
  readonly questionId: number | string;
  readonly reference: string;
  readonly referenceId: string;
  readonly answer: ResponseRecord;
  readonly answerId: string;
}

function prepareItems(options: JudgeOptions): PreparedItem[] {
  indexSamples(options.samples, 'data set');
  // Answers to questions outside the data set are ignored: an answer file may cover a larger set
  // than a split of it (the in-the-wild easy/hard halves).
  const missing = options.samples.filter((s) => !options.answers.has(s.id));
  if (missing.length > 0) {
    throw new InputError(
      `the answer file has no answer for ${missing.length} of ${options.samples.length} samples (first: ${missing[0].id}); finish \`mllmshift infer\` first`,
    );
  }
  return options.samples.map((sample) => {
    const answer = options.answers.get(sample.id) as ResponseRecord;
    let reference: string | undefined;
    let referenceId = 'reference';
    if (options.references) {
      const ref = options.references.get(sample.id);
      if (!ref) throw new InputError(`the reference answer file has no answer for question_id ${sample.id}`);
      reference = ref.text;
      referenceId = ref.answerId || referenceId;
    } else {
      reference = sample.referenceAnswer;
      if (reference === undefined) {
        throw new InputError(`sample ${sample.id} has no reference answer; give reference answers with --references FILE`);
      }
    }
    return { sample, questionId: questionIdFor(sample.id), reference, referenceId, answer, answerId: answer.answerId ?? '' };
  });
}

function parseReview(value: unknown, path: string, line: number): ReviewRecord {
  const where = `${path}: line ${line}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${where}: expected a review object`);
  const v = value as Record<string, unknown>;
  if (!(typeof v.question_id === 'number' || (typeof v.question_id === 'string' && v.question_id !== ''))) {
    throw new InputError(`${where}: "question_id" must be a number or a non-empty string`);
  }
  return v as unknown as ReviewRecord;
}

/** The reviews already in the file, checked against the items and the run's settings. */
function existingReviews(
  contents: JsonlContents, outPath: string, itemsById: ReadonlyMap<string, PreparedItem>, judgeModel: string, bothOrders: boolean, protocol: string,
): ReviewRecord[] {
  const reviews = contents.values.map((v, i) => parseReview(v, outPath, contents.lines[i]));
  const seen = new Set<string>();
  for (const r of reviews) {
    const id = String(r.question_id);
    const item = itemsById.get(id);
    if (!item) throw new InputError(`${outPath} has a review of question_id ${id}, which is not in the data set`);
    if (seen.has(id)) throw new InputError(`${outPath} has two reviews of question_id ${id}`);
    seen.add(id);
    if (r.judge_model !== judgeModel || r.both_orders !== bothOrders || r.answer2_id !== item.answerId) {
      throw new InputError(
        `${outPath} was made with another judge model, answer file or --both-orders setting (question_id ${id}); write to another --out file`,
      );
    }
    const made = r.protocol ?? PROJECT_PROTOCOL.name;
    if (made !== protocol) {
      throw new InputError(`${outPath} was made with judge protocol "${made}", not "${protocol}" (question_id ${id}); write to another --out file`);
    }
  }
  return reviews;
}

/** Runs the judge over every sample's answer; see the module comment. */
export async function judgeAnswers(options: JudgeOptions): Promise<JudgeSummary> {
  const { client, judgeModel, outPath, cache } = options;
  const bothOrders = options.bothOrders ?? false;
  const protocol = options.protocol ?? PROJECT_PROTOCOL;
  const parseRetries = options.parseRetries ?? protocol.parseRetries;
  const layout = options.layout ?? inferLayout(options.samples);
  const items = prepareItems(options);
  // Every request is built before any is sent: a question without a rule or a context fails now.
  for (const it of items) protocolMessages(protocol, { question: it.sample.question, context: it.sample.context, category: it.sample.category, answer1: '', answer2: '' }, layout);
  const itemsById = new Map(items.map((it) => [it.sample.id, it]));

  const { appender: out, contents } = JsonlAppender.open(outPath);
  try {
    let existing = existingReviews(contents, outPath, itemsById, judgeModel, bothOrders, protocol.name);
    if (options.retryFailed && existing.some((r) => isFailedTuple(r.tuple))) {
      existing = existing.filter((r) => !isFailedTuple(r.tuple));
      out.rewrite(existing);
    }
    const done = new Set(existing.map((r) => String(r.question_id)));
    const records = new Map<string, ReviewRecord>(existing.map((r) => [String(r.question_id), r]));
    const order = existing.map((r) => String(r.question_id));
    const pending = items.filter((it) => !done.has(it.sample.id));
    const resumed = existing.length;
    let unparsable = existing.filter((r) => isFailedTuple(r.tuple)).length;
    let written = 0;
    let extraRequests = 0;
    let consecutiveFailures = 0;
    let stoppedEarly = false;
    const maxConsecutive = options.maxConsecutiveFailures ?? 8;
    const failures: SampleFailure[] = [];

    const ask = async (item: JudgeItem): Promise<{ scores: [number, number] | undefined; content: string }> => {
      const request: ChatRequest = {
        model: judgeModel,
        messages: protocolMessages(protocol, item, layout),
        maxTokens: options.maxTokens ?? protocol.maxTokens,
        temperature: options.temperature ?? protocol.temperature,
      };
      let content = '';
      for (let attempt = 0; attempt <= parseRetries; attempt++) {
        if (attempt > 0) extraRequests += 1;
        const { result } = await completeCached(client, cache, request, {
          signal: options.signal,
          accept: (r) => protocolScores(protocol, r.text) !== undefined,
        });
        content = result.text;
        const scores = protocolScores(protocol, content);
        if (scores) return { scores, content };
      }
      return { scores: undefined, content };
    };

    const judgeOne = async (it: PreparedItem): Promise<void> => {
      options.signal?.throwIfAborted();
      const base = { question: it.sample.question, context: it.sample.context, category: it.sample.category };
      try {
        const forward = await ask({ ...base, answer1: it.reference, answer2: it.answer.text });
        let tuple: [number, number] | null = forward.scores ?? null;
        let swapped: ReviewRecord['swapped'];
        if (bothOrders) {
          const reverse = await ask({ ...base, answer1: it.answer.text, answer2: it.reference });
          const back: [number, number] | null = reverse.scores ? [reverse.scores[1], reverse.scores[0]] : null;
          swapped = { tuple: back, content: reverse.content };
          tuple = tuple && back ? [(tuple[0] + back[0]) / 2, (tuple[1] + back[1]) / 2] : null;
        }
        const record: ReviewRecord = {
          question_id: it.questionId,
          ...(it.sample.category !== undefined ? { category: it.sample.category } : {}),
          tuple: tuple ?? failedTuple(protocol),
          content: forward.content,
          answer1_id: it.referenceId,
          answer2_id: it.answerId,
          model_id: it.answer.modelId ?? '',
          judge_model: judgeModel,
          protocol: protocol.name,
          both_orders: bothOrders,
          ...(swapped ? { swapped } : {}),
          ...(tuple === null ? { error: `the judge's reply did not start with two scores (protocol "${protocol.name}", ${protocol.scoreParser} parser; after ${parseRetries + 1} attempts per order)` } : {}),
        };
        out.append(record);
        records.set(it.sample.id, record);
        order.push(it.sample.id);
        written += 1;
        if (tuple === null) unparsable += 1;
        consecutiveFailures = 0;
      } catch (e) {
        if (!(e instanceof ChatRequestError)) throw e;
        failures.push({ id: it.sample.id, message: e.message });
        consecutiveFailures += 1;
        if (consecutiveFailures >= maxConsecutive) stoppedEarly = true;
      }
      options.onProgress?.({ total: items.length, done: resumed + written, unparsable, failed: failures.length });
    };

    options.onProgress?.({ total: items.length, done: resumed, unparsable, failed: 0 });
    if (pending.length > 0) await runPool(pending, client.concurrency, judgeOne, () => stoppedEarly);
    const ordered = inSampleOrder(options.samples, order, records);
    if (ordered) out.rewrite(ordered);
    return { outPath, total: items.length, resumed, written, unparsable, parseRetries: extraRequests, failures, stoppedEarly };
  } finally {
    out.close();
  }
}
