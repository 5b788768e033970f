/**
 * Samples → embedding sets: z_v of the image, z_t of the question, z_ŷ of the model response
 * and z_y of the reference response (DESIGN.md §4–5), with the embedding cache, batching and a
 * progress bar. x = (z_v + z_t)/2 (E6) is left to the estimator; the set stores z_v as `x_v` and
 * z_t as `x_t`.
 *
 * Work is done once per distinct content: an image shared by several questions (LLaVA-Bench
 * asks three questions per image) is read, hashed, decoded and encoded once, and so is a text
 * that occurs more than once. Cached rows (same content hash, encoder id and version) skip
 * decoding and encoding entirely.
 */
import { join } from 'node:path';
import { InputError, RemoteError } from '../errors.js';
import type { Matrix } from '../core/matrix.js';
import type { ImageRef, Sample } from '../data/sample.js';
import { matchResponses, type ResponseRecord } from '../data/responses.js';
import { imageLabel, readImageBytes } from '../data/load.js';
import { EmbeddingCache, imageKey, textKey, type EmbeddingCacheNamespace } from './cache.js';
import { combineEncoders, encoderParts, type Encoder, type EncoderIdentity } from './encoder.js';
import { BuiltinImageEncoder, BuiltinTextEncoder } from './builtin.js';
import { checkClipPreprocessorConfig, ClipImageEncoder } from './clip.js';
import { decodeImage, type DecodeOptions, type Rgb8Image } from '../io/image.js';
import { findModel, missingModelError, modelSpec, pullModel, type ModelSpec } from './models.js';
import { Progress } from './progress.js';
import { XlmrEmbeddingEncoder } from './xlmr.js';

/** One row of an embedding set before encoding. */
export interface EmbedInput {
  readonly id: string;
  readonly image: ImageRef;
  readonly question: string;
  readonly response: string;
  readonly reference: string;
}

export interface EmbedOptions {
  /** Items per encoder call (default 16). */
  readonly batchSize?: number;
  /** The cache to read and fill; null or undefined: no cache. */
  readonly cache?: EmbeddingCache | null;
  /** Progress bars on stderr (default true). */
  readonly progress?: boolean;
  /** Cap on decoded pixels per image (default: the decoder's). */
  readonly maxImagePixels?: number;
}

export interface EmbedStats {
  readonly images: { readonly distinct: number; readonly cached: number; readonly encoded: number };
  readonly texts: { readonly distinct: number; readonly cached: number; readonly encoded: number };
}

export interface EmbedResult {
  readonly ids: readonly string[];
  readonly xv: Matrix<Float32Array>;
  readonly xt: Matrix<Float32Array>;
  readonly yHat: Matrix<Float32Array>;
  readonly y: Matrix<Float32Array>;
  /** Recorded as the set's `encoders` metadata. */
  readonly encoders: { readonly kind: string; readonly image: EncoderIdentity; readonly text: EncoderIdentity; readonly dim: number };
  readonly stats: EmbedStats;
}

function emptyText(s: string): boolean {
  return s.trim().length === 0;
}

/**
 * Pair samples with their model responses (and reference responses from a second answer file,
 * or the samples' own `referenceAnswer`), checking that nothing is missing or empty. Errors name
 * the file, line and id.
 */
export function buildEmbedInputs(
  samples: readonly Sample[],
  dataset: string,
  responses: readonly ResponseRecord[],
  responsesFile: string,
  references?: { readonly records: readonly ResponseRecord[]; readonly file: string },
): EmbedInput[] {
  if (samples.length === 0) throw new InputError(`${dataset}: the data set has no samples`);
  const resp = matchResponses(samples, responses, responsesFile);
  const refs = references ? matchResponses(samples, references.records, references.file) : undefined;
  return samples.map((s, i) => {
    if (emptyText(s.question)) throw new InputError(`${dataset}: sample ${s.id} has an empty question`);
    const r = resp[i];
    if (emptyText(r.text)) throw new InputError(`${responsesFile}:${r.line}: empty response "text" for question_id ${s.id}`);
    let reference: string;
    if (refs) {
      const rr = refs[i];
      if (emptyText(rr.text)) throw new InputError(`${references!.file}:${rr.line}: empty reference "text" for question_id ${s.id}`);
      reference = rr.text;
    } else {
      if (s.referenceAnswer === undefined) {
        throw new InputError(`${dataset}: sample ${s.id} has no reference answer; give reference responses with --references FILE`);
      }
      if (emptyText(s.referenceAnswer)) throw new InputError(`${dataset}: sample ${s.id} has an empty reference answer`);
      reference = s.referenceAnswer;
    }
    return { id: s.id, image: s.image, question: s.question, response: r.text, reference };
  });
}

function copyRow(dst: Float32Array, row: number, src: Float32Array, dim: number): void {
  dst.set(src.subarray(0, dim), row * dim);
}

/** Embed each distinct image once; returns one row per distinct ref and a map from item to row. */
async function embedImages(
  items: readonly EmbedInput[],
  encoder: Encoder,
  ns: EmbeddingCacheNamespace | undefined,
  batchSize: number,
  progress: boolean,
  decode: DecodeOptions,
): Promise<{ rows: Float32Array; itemRow: Int32Array; stats: EmbedStats['images'] }> {
  const dim = encoder.dim;
  // Distinct references first (same file path or same byte buffer).
  const refIndex = new Map<unknown, number>();
  const refs: { ref: ImageRef; firstId: string }[] = [];
  const itemRef = new Int32Array(items.length);
  items.forEach((it, i) => {
    const k = it.image.kind === 'file' ? `file:${it.image.path}` : it.image.bytes;
    let r = refIndex.get(k);
    if (r === undefined) {
      r = refs.length;
      refIndex.set(k, r);
      refs.push({ ref: it.image, firstId: it.id });
    }
    itemRef[i] = r;
  });
  // Then distinct contents: two paths to identical bytes are one embedding.
  const contentRow = new Map<string, number>();
  const refRow = new Int32Array(refs.length);
  const rows: Float32Array[] = [];
  const bar = new Progress('images', refs.length, { enabled: progress });
  let cached = 0;
  let encoded = 0;
  const newKeys: string[] = [];
  const newRows: Float32Array[] = [];
  let pending: { key: string; image: Rgb8Image }[] = [];
  const waiting = new Map<string, number[]>();
  // One encoder call in flight while the next batch is read and decoded; its keys stay in
  // `waiting` until it lands, so later references to the same content join it.
  let inflight: Promise<void> | undefined;
  const record = (batch: readonly { key: string }[], out: Matrix<Float32Array>) => {
    batch.forEach((p, k) => {
      const row = out.data.slice(k * dim, (k + 1) * dim);
      const idx = rows.length;
      rows.push(row);
      contentRow.set(p.key, idx);
      for (const r of waiting.get(p.key)!) refRow[r] = idx;
      bar.tick(waiting.get(p.key)!.length);
      waiting.delete(p.key);
      newKeys.push(p.key);
      newRows.push(row);
    });
    encoded += batch.length;
  };
  const flush = async () => {
    if (inflight) await inflight;
    inflight = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const call = encoder.embedImages(batch.map((p) => p.image)).then((out) => record(batch, out));
    call.catch(() => undefined); // handled where it is awaited; never an unhandled rejection meanwhile
    inflight = call;
  };
  try {
    for (let r = 0; r < refs.length; r++) {
      const bytes = await readImageBytes({ id: refs[r].firstId, image: refs[r].ref });
      const key = imageKey(bytes);
      const known = contentRow.get(key);
      if (known !== undefined) {
        refRow[r] = known;
        bar.tick();
        continue;
      }
      const wait = waiting.get(key);
      if (wait) {
        wait.push(r);
        continue;
      }
      const hit = ns?.get([key])[0];
      if (hit) {
        const idx = rows.length;
        rows.push(hit);
        contentRow.set(key, idx);
        refRow[r] = idx;
        cached++;
        bar.tick();
        continue;
      }
      const { image } = await decodeImage(bytes, imageLabel({ id: refs[r].firstId, image: refs[r].ref }), decode);
      waiting.set(key, [r]);
      pending.push({ key, image });
      if (pending.length >= batchSize) await flush();
    }
    await flush(); // the last, partial batch
    if (inflight) await inflight;
  } finally {
    if (inflight) await inflight.catch(() => undefined);
    if (ns && newKeys.length > 0) {
      const data = new Float32Array(newKeys.length * dim);
      newRows.forEach((row, k) => copyRow(data, k, row, dim));
      ns.put(newKeys, { rows: newKeys.length, cols: dim, data });
    }
  }
  bar.finish();
  const all = new Float32Array(rows.length * dim);
  rows.forEach((row, k) => copyRow(all, k, row, dim));
  const itemRow = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) itemRow[i] = refRow[itemRef[i]];
  return { rows: all, itemRow, stats: { distinct: rows.length, cached, encoded } };
}

/** Embed each distinct text once. */
async function embedTexts(
  texts: readonly string[],
  encoder: Encoder,
  ns: EmbeddingCacheNamespace | undefined,
  batchSize: number,
  progress: boolean,
): Promise<{ rows: Float32Array; textRow: Int32Array; stats: EmbedStats['texts'] }> {
  const dim = encoder.dim;
  const distinct = new Map<string, number>();
  const uniq: string[] = [];
  const textRow = new Int32Array(texts.length);
  texts.forEach((t, i) => {
    let k = distinct.get(t);
    if (k === undefined) {
      k = uniq.length;
      distinct.set(t, k);
      uniq.push(t);
    }
    textRow[i] = k;
  });
  const keys = uniq.map(textKey);
  const rows = new Float32Array(uniq.length * dim);
  const hits = ns ? ns.get(keys) : uniq.map(() => undefined);
  const todo: number[] = [];
  hits.forEach((h, k) => (h ? copyRow(rows, k, h, dim) : todo.push(k)));
  const bar = new Progress('texts', uniq.length, { enabled: progress });
  bar.tick(uniq.length - todo.length);
  let done = 0;
  try {
    for (let b = 0; b < todo.length; b += batchSize) {
      const idx = todo.slice(b, b + batchSize);
      const out = await encoder.embedTexts(idx.map((k) => uniq[k]));
      idx.forEach((k, j) => rows.set(out.data.subarray(j * dim, (j + 1) * dim), k * dim));
      done += idx.length;
      bar.tick(idx.length);
    }
  } finally {
    if (ns && done > 0) {
      const data = new Float32Array(done * dim);
      for (let j = 0; j < done; j++) copyRow(data, j, rows.subarray(todo[j] * dim), dim);
      ns.put(todo.slice(0, done).map((k) => keys[k]), { rows: done, cols: dim, data });
    }
  }
  bar.finish();
  return { rows, textRow, stats: { distinct: uniq.length, cached: uniq.length - todo.length, encoded: done } };
}

function gather(rows: Float32Array, index: Int32Array, offset: number, n: number, dim: number): Matrix<Float32Array> {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) out.set(rows.subarray(index[offset + i] * dim, (index[offset + i] + 1) * dim), i * dim);
  return { rows: n, cols: dim, data: out };
}

/** Embed every input: images (z_v), questions (z_t), responses (z_ŷ) and references (z_y). */
export async function embedInputs(items: readonly EmbedInput[], encoder: Encoder, opts: EmbedOptions = {}): Promise<EmbedResult> {
  const batchSize = opts.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`batch size must be a positive integer, got ${batchSize}`);
  for (const it of items) {
    for (const f of ['question', 'response', 'reference'] as const) {
      if (emptyText(it[f])) throw new InputError(`sample ${it.id}: empty ${f}`);
    }
  }
  const progress = opts.progress ?? true;
  const n = items.length;
  const dim = encoder.dim;
  const parts = encoderParts(encoder);
  const imgNs = opts.cache?.namespace('image', parts.image, dim);
  const txtNs = opts.cache?.namespace('text', parts.text, dim);
  const img = await embedImages(items, encoder, imgNs, batchSize, progress, opts.maxImagePixels !== undefined ? { maxPixels: opts.maxImagePixels } : {});
  const texts = [...items.map((i) => i.question), ...items.map((i) => i.response), ...items.map((i) => i.reference)];
  const txt = await embedTexts(texts, encoder, txtNs, batchSize, progress);
  return {
    ids: items.map((i) => i.id),
    xv: gather(img.rows, img.itemRow, 0, n, dim),
    xt: gather(txt.rows, txt.textRow, 0, n, dim),
    yHat: gather(txt.rows, txt.textRow, n, n, dim),
    y: gather(txt.rows, txt.textRow, 2 * n, n, dim),
    encoders: { kind: encoder.id, image: parts.image, text: parts.text, dim },
    stats: { images: img.stats, texts: txt.stats },
  };
}

/**
 * The query embeddings x = (z_v + z_t)/2 (E6) of samples (image and question only), in float64,
 * e.g. to split a data set by its distance to another (shift/splits.ts).
 */
export async function embedQueries(samples: readonly Sample[], encoder: Encoder, opts: EmbedOptions = {}): Promise<Matrix<Float64Array>> {
  // The question stands in for the two answers, which x does not use (texts are embedded once each).
  const items = samples.map((s) => ({ id: s.id, image: s.image, question: s.question, response: s.question, reference: s.question }));
  const r = await embedInputs(items, encoder, { progress: false, ...opts });
  const data = new Float64Array(r.xv.data.length);
  for (let k = 0; k < data.length; k++) data[k] = (r.xv.data[k] + r.xt.data[k]) / 2;
  return { rows: r.xv.rows, cols: r.xv.cols, data };
}

export type EncoderChoice = 'paper' | 'builtin' | 'auto';

export interface LoadEncoderOptions {
  /** Folder with the paper models (see models.ts for the layouts searched). */
  readonly modelDir?: string;
  /** Try downloading missing paper models from the hub (default true unless HF_HUB_OFFLINE=1). */
  readonly download?: boolean;
  /** onnxruntime threads for CLIP. */
  readonly threads?: number;
  /** Where notices go (default stderr). */
  readonly notice?: (msg: string) => void;
}

/** The built-in stand-in encoders (text n-grams + image statistics, 768-d). */
export function builtinEncoder(): Encoder {
  return combineEncoders('builtin', new BuiltinImageEncoder(), new BuiltinTextEncoder());
}

async function resolveOrPull(spec: ModelSpec, opts: LoadEncoderOptions): Promise<string> {
  const found = findModel(spec, opts.modelDir);
  if (found) return found;
  const download = opts.download ?? process.env.HF_HUB_OFFLINE !== '1';
  if (!download) throw missingModelError(spec, opts.modelDir);
  try {
    await pullModel(spec, { modelDir: opts.modelDir });
  } catch (e) {
    if (e instanceof RemoteError) throw missingModelError(spec, opts.modelDir, e.message);
    throw e;
  }
  const after = findModel(spec, opts.modelDir);
  if (!after) throw missingModelError(spec, opts.modelDir);
  return after;
}

/** The paper's encoders (E4 CLIP ViT-B/32 + E5 XLM-R embedding layer), from disk or the hub. */
export async function paperEncoder(opts: LoadEncoderOptions = {}): Promise<Encoder> {
  const clipDir = await resolveOrPull(modelSpec('clip'), opts);
  const xlmrDir = await resolveOrPull(modelSpec('xlmr'), opts);
  checkClipPreprocessorConfig(clipDir);
  const text = await XlmrEmbeddingEncoder.load(xlmrDir);
  const onnxPath = join(clipDir, 'onnx', 'vision_model.onnx');
  const image = await ClipImageEncoder.load(onnxPath, { threads: opts.threads });
  if (image.tokens !== 50) {
    await image.dispose();
    throw new InputError(`${onnxPath}: not a ViT-B/32 at 224 px: last_hidden_state has ${image.tokens} tokens, expected 50 (class token + 7×7 patches)`);
  }
  return combineEncoders('paper', image, text);
}

/**
 * `paper`, `builtin`, or `auto`: the paper encoders when both models are already on disk,
 * else the built-in stand-ins (with a notice, never a silent download).
 */
export async function loadEncoder(choice: EncoderChoice, opts: LoadEncoderOptions = {}): Promise<Encoder> {
  if (choice === 'builtin') return builtinEncoder();
  if (choice === 'paper') return paperEncoder(opts);
  const haveAll = ['clip', 'xlmr'].every((m) => findModel(modelSpec(m), opts.modelDir) !== undefined);
  if (haveAll) return paperEncoder({ ...opts, download: false });
  const notice = opts.notice ?? ((m: string) => process.stderr.write(`mllmshift: ${m}\n`));
  notice('paper encoder models not found; using the built-in stand-in encoders (not comparable with published numbers). Use --encoders paper after `mllmshift models pull`, or --model-dir DIR.');
  return builtinEncoder();
}
