/**
 * Response collection: one answer per sample from an OpenAI-compatible MLLM, written to a
 * LLaVA answer file (DESIGN.md §5). Each answer is appended and fsync'd the moment it arrives;
 * a rerun with the same output file reads what is there (ignoring a torn last line) and asks
 * only for the samples still missing, so a killed run loses nothing and duplicates nothing.
 * The file is locked while a run writes it, so two runs cannot both answer the same samples.
 * Once every sample has its answer, the file is rewritten in data set order (when completion
 * order differed), so scripts that pair questions and answers line by line (LLaVA's) align.
 */
import { InputError } from '../errors.js';
import type { Sample } from '../data/sample.js';
import { answerLog, newAnswerId, questionIdFor, type AnswerRecord } from './answers.js';
import { completeCached, type ResponseCache } from './cache.js';
import { ChatRequestError, type ChatClient, type ChatMessage, type ChatRequest } from './client.js';
import { imageDataUrl } from './image.js';
import { decodeImage, type DecodeOptions } from '../io/image.js';
import { imageLabel, readImageBytes } from '../data/load.js';
import { JsonlAppender } from './jsonl-log.js';
import { runPool } from './pool.js';

export interface GenerationParams {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly seed?: number;
}

export interface InferOptions extends GenerationParams {
  readonly samples: readonly Sample[];
  readonly client: ChatClient;
  readonly model: string;
  /** Answer file to write (created, or resumed when it exists). */
  readonly outPath: string;
  /** Optional system message sent before each question. */
  readonly system?: string;
  readonly cache?: ResponseCache;
  /** Cap on decoded pixels per image (default: the decoder's). */
  readonly maxImagePixels?: number;
  /**
   * Stop starting new requests after this many failures in a row with no success between
   * them (the endpoint is down or rejects every request); default 8.
   */
  readonly maxConsecutiveFailures?: number;
  /** Called once after the existing answers are read, then after each sample. */
  readonly onProgress?: (p: InferProgress) => void;
  readonly signal?: AbortSignal;
}

export interface InferProgress {
  readonly total: number;
  /** Samples with an answer on disk (including those found at the start). */
  readonly done: number;
  readonly fromCache: number;
  readonly failed: number;
}

export interface SampleFailure {
  readonly id: string;
  readonly message: string;
}

export interface InferSummary {
  readonly outPath: string;
  readonly total: number;
  /** Answers already in the file at the start. */
  readonly resumed: number;
  /** Answers written by this run (requests plus cache hits). */
  readonly written: number;
  readonly fromCache: number;
  readonly failures: readonly SampleFailure[];
  /** True when the run stopped early after too many consecutive failures. */
  readonly stoppedEarly: boolean;
  readonly peakConcurrency: number;
}

/** The chat request for one sample: the image (as a data URL) then the question. */
export async function sampleRequest(sample: Sample, model: string, params: GenerationParams, system?: string, decode: DecodeOptions = {}): Promise<ChatRequest> {
  const url = await imageDataUrl(sample, decode);
  const messages: ChatMessage[] = [];
  if (system !== undefined && system !== '') messages.push({ role: 'system', content: system });
  messages.push({
    role: 'user',
    content: [
      { type: 'image_url', image_url: { url } },
      { type: 'text', text: sample.question },
    ],
  });
  return { model, messages, ...params };
}

/**
 * The records of `byId` in the samples' order, or undefined when a sample has none (the file is
 * not complete) or the records are already in that order.
 */
export function inSampleOrder<T>(samples: readonly Sample[], written: readonly string[], byId: ReadonlyMap<string, T>): T[] | undefined {
  if (samples.length !== byId.size || !samples.every((s) => byId.has(s.id))) return undefined;
  if (written.length === samples.length && written.every((id, i) => id === samples[i].id)) return undefined;
  return samples.map((s) => byId.get(s.id) as T);
}

/** Checks ids are unique and non-empty; returns the samples by id. */
export function indexSamples(samples: readonly Sample[], what: string): Map<string, Sample> {
  const byId = new Map<string, Sample>();
  for (const s of samples) {
    if (typeof s.id !== 'string' || s.id === '') throw new InputError(`${what}: a sample has an empty id`);
    if (byId.has(s.id)) throw new InputError(`${what}: sample id "${s.id}" appears twice`);
    byId.set(s.id, s);
  }
  return byId;
}

/**
 * Checks that an existing answer file belongs to this data set and model, and returns the
 * samples that still need an answer.
 */
function pendingSamples(samples: readonly Sample[], existing: ReadonlyMap<string, AnswerRecord>, model: string, outPath: string): Sample[] {
  const byId = indexSamples(samples, 'data set');
  for (const [id, rec] of existing) {
    const sample = byId.get(id);
    if (!sample) {
      throw new InputError(`${outPath} has an answer for question_id ${id}, which is not in the data set; is it the answer file of another data set?`);
    }
    if (rec.model_id !== model) {
      throw new InputError(`${outPath} holds answers of model "${rec.model_id}" (question_id ${id}), not "${model}"; write to another --out file`);
    }
    if (rec.prompt !== sample.question) {
      throw new InputError(`${outPath}: the answer to question_id ${id} was given for another question text than the data set's; write to another --out file`);
    }
  }
  return samples.filter((s) => !existing.has(s.id));
}

export async function collectResponses(options: InferOptions): Promise<InferSummary> {
  const { samples, client, model, outPath, cache } = options;
  const params: GenerationParams = {
    maxTokens: options.maxTokens,
    temperature: options.temperature,
    topP: options.topP,
    seed: options.seed,
  };
  const { appender: out, contents } = JsonlAppender.open(outPath);
  try {
    const existing = answerLog(contents, outPath);
    const pending = pendingSamples(samples, existing.byId, model, outPath);
    const total = samples.length;
    const resumed = existing.records.length;
    const maxConsecutive = options.maxConsecutiveFailures ?? 8;
    const failures: SampleFailure[] = [];
    let written = 0;
    let fromCache = 0;
    let consecutiveFailures = 0;
    let stoppedEarly = false;
    const records = new Map<string, AnswerRecord>(existing.byId);
    const order = existing.records.map((r) => String(r.question_id));

    const answerOne = async (sample: Sample): Promise<void> => {
      options.signal?.throwIfAborted();
      const request = await sampleRequest(sample, model, params, options.system, options.maxImagePixels !== undefined ? { maxPixels: options.maxImagePixels } : {});
      try {
        const { result, cached } = await completeCached(client, cache, request, { signal: options.signal });
        const record: AnswerRecord = {
          question_id: questionIdFor(sample.id),
          prompt: sample.question,
          text: result.text,
          answer_id: newAnswerId(),
          model_id: model,
          metadata: answerMetadata(params, result.finishReason, result.model),
        };
        out.append(record);
        records.set(sample.id, record);
        order.push(sample.id);
        written += 1;
        if (cached) fromCache += 1;
        consecutiveFailures = 0;
      } catch (e) {
        if (!(e instanceof ChatRequestError)) throw e;
        failures.push({ id: sample.id, message: e.message });
        consecutiveFailures += 1;
        if (consecutiveFailures >= maxConsecutive) stoppedEarly = true;
      }
      options.onProgress?.({ total, done: resumed + written, fromCache, failed: failures.length });
    };

    // Every image is read and decoded before the first request: a bad one costs no paid call.
    const decode = options.maxImagePixels !== undefined ? { maxPixels: options.maxImagePixels } : {};
    for (const s of pending) await decodeImage(await readImageBytes(s), imageLabel(s), decode);
    options.onProgress?.({ total, done: resumed, fromCache, failed: 0 });
    if (pending.length > 0) await runPool(pending, client.concurrency, answerOne, () => stoppedEarly);
    const ordered = inSampleOrder(samples, order, records);
    if (ordered) out.rewrite(ordered);
    return { outPath, total, resumed, written, fromCache, failures, stoppedEarly, peakConcurrency: client.peakConcurrency };
  } finally {
    out.close();
  }
}

function answerMetadata(params: GenerationParams, finishReason: string | null, servedModel: string): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (params.temperature !== undefined) m.temperature = params.temperature;
  if (params.topP !== undefined) m.top_p = params.topP;
  if (params.maxTokens !== undefined) m.max_tokens = params.maxTokens;
  if (params.seed !== undefined) m.seed = params.seed;
  if (finishReason !== null) m.finish_reason = finishReason;
  m.served_model = servedModel;
  return m;
}
