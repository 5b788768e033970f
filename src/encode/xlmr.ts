/**
 * The paper's text encoder (E5, DESIGN.md §2): the XLM-RoBERTa-base *embedding layer*,
 * hidden_states[0] = LayerNorm(word + position + token_type embeddings) — no transformer
 * layers — with a masked mean over positions 1..L (drops `<s>`, keeps `</s>`), L2-normalised.
 *
 * Computed here in TypeScript from the checkpoint's `model.safetensors` (FacebookAI/
 * xlm-roberta-base; tensor names with or without the `roberta.` prefix). Only the small
 * tensors (positions [514, 768], token types, LayerNorm) are loaded; rows of the
 * [250002, 768] word-embedding table are read by file offset as tokens need them, so the
 * 1.1 GB file is never in memory.
 *
 * Tokenisation: the slow XLMRobertaTokenizer's ids — SentencePiece exactly, from the model's
 * `tokenizer.json` (xlmr-tokenizer.ts). Truncation is done here, as Hugging Face's tokenizers
 * do it: the text's tokens are cut to 512 − 2 and then wrapped in `<s> … </s>`, so `</s>` is
 * always present.
 *
 * Positions follow RoBERTa: token t (0-based) of an unpadded sequence has position
 * padding_idx + 1 + t = 2 + t. Padding never enters the mean (each text is encoded alone), so
 * batching does not change the result.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { Matrix } from '../core/matrix.js';
import { readSafetensors, readSafetensorsHeader, readSafetensorsRows, type SafetensorsHeader } from '../io/safetensors.js';
import type { TextEncoder } from './encoder.js';
import { XLMR_ENCODER_ID, normalizeRowsF32 } from './encoder.js';
import { fileFingerprint } from './fingerprint.js';
import { xlmrTokenizerFromJson, type XlmrTokenizer } from './xlmr-tokenizer.js';

export { XLMR_ENCODER_ID } from './encoder.js';
/** Bump when the recipe (tokenisation, pooling) changes. e5.2: SentencePiece-exact tokenisation. */
export const XLMR_RECIPE_VERSION = 'e5.2';
/** E5: truncation at 512 tokens, `<s>` and `</s>` included. */
export const XLMR_MAX_LENGTH = 512;

/** The pieces of the embedding layer held in memory (everything but the word table). */
export interface XlmrEmbeddingWeights {
  readonly dim: number;
  readonly vocabSize: number;
  /** [maxPositions, dim] */
  readonly position: Float32Array;
  readonly maxPositions: number;
  /** Row 0 of the token-type table (XLM-R has one type). */
  readonly tokenType: Float32Array;
  readonly lnWeight: Float32Array;
  readonly lnBias: Float32Array;
  readonly eps: number;
  readonly paddingIdx: number;
}

const EMB = 'embeddings.';
const NAMES = {
  word: 'word_embeddings.weight',
  position: 'position_embeddings.weight',
  tokenType: 'token_type_embeddings.weight',
  lnWeight: 'LayerNorm.weight',
  lnBias: 'LayerNorm.bias',
} as const;

/** Find the embedding tensors' prefix: `roberta.embeddings.` (masked-LM checkpoint) or `embeddings.`. */
export function xlmrTensorPrefix(header: SafetensorsHeader): string {
  for (const p of [`roberta.${EMB}`, EMB]) if (header.tensors.has(p + NAMES.word)) return p;
  throw new InputError(
    `${header.path}: no XLM-R word embeddings (expected tensor "roberta.${EMB}${NAMES.word}" or "${EMB}${NAMES.word}")`,
  );
}

/**
 * E5 for one token sequence `ids` (with `<s>` first and `</s>` last): the mean over positions
 * 1..L−1 of LayerNorm(word[id_t] + position[paddingIdx + 1 + t] + tokenType), accumulated in
 * float64 into `out` (not normalised). `wordRow(id)` returns the word-embedding row.
 */
export function embeddingLayerMean(ids: readonly number[], w: XlmrEmbeddingWeights, wordRow: (id: number) => Float32Array, out: Float64Array): void {
  const d = w.dim;
  const h = new Float64Array(d);
  out.fill(0);
  for (let t = 1; t < ids.length; t++) {
    const word = wordRow(ids[t]);
    const po = (w.paddingIdx + 1 + t) * d;
    let mean = 0;
    for (let j = 0; j < d; j++) {
      h[j] = word[j] + w.position[po + j] + w.tokenType[j];
      mean += h[j];
    }
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) {
      const c = h[j] - mean;
      v += c * c;
    }
    const inv = 1 / Math.sqrt(v / d + w.eps);
    for (let j = 0; j < d; j++) out[j] += (h[j] - mean) * inv * w.lnWeight[j] + w.lnBias[j];
  }
  const m = ids.length - 1;
  if (m > 0) for (let j = 0; j < d; j++) out[j] /= m;
}

/** Wrap content ids as `<s> ids[0 : maxLength−2] </s>` (Hugging Face truncation keeps the special tokens). */
export function wrapAndTruncate(content: readonly number[], bosId: number, eosId: number, maxLength = XLMR_MAX_LENGTH): number[] {
  const keep = Math.min(content.length, maxLength - 2);
  const ids = new Array<number>(keep + 2);
  ids[0] = bosId;
  for (let i = 0; i < keep; i++) ids[i + 1] = content[i];
  ids[keep + 1] = eosId;
  return ids;
}

/** Read a JSON file, naming it in the error. */
function readJson(path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code ? `${path}: cannot read (${code})` : `${path}: not valid JSON`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InputError(`${path}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/** Load the model's `tokenizer.json` from a local folder (nothing is fetched). */
export function loadXlmrTokenizer(dir: string): XlmrTokenizer {
  const tokPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokPath)) throw new InputError(`${tokPath}: file not found (the XLM-R tokenizer)`);
  return xlmrTokenizerFromJson(readJson(tokPath), tokPath);
}

function readConfig(dir: string): { eps: number; paddingIdx: number } {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) return { eps: 1e-5, paddingIdx: 1 };
  const c = readJson(p);
  const eps = c.layer_norm_eps ?? 1e-5;
  const pad = c.pad_token_id ?? 1;
  if (typeof eps !== 'number' || !(eps > 0)) throw new InputError(`${p}: "layer_norm_eps" must be a positive number`);
  if (typeof pad !== 'number' || !Number.isInteger(pad) || pad < 0) throw new InputError(`${p}: "pad_token_id" must be a non-negative integer`);
  return { eps, paddingIdx: pad };
}

/** Cached word-embedding rows, read from the safetensors file by offset. */
class WordTable {
  private readonly rows = new Map<number, Float32Array>();
  constructor(
    private readonly header: SafetensorsHeader,
    private readonly name: string,
    readonly vocabSize: number,
    private readonly dim: number,
    private readonly maxCached = 65536,
  ) {}

  /** Make sure every id in `ids` is in memory (reads consecutive ids in one go). */
  get path(): string {
    return this.header.path;
  }

  load(ids: Iterable<number>): void {
    const unique = [...new Set(ids)];
    let missing = unique.filter((id) => !this.rows.has(id));
    if (this.rows.size + missing.length > this.maxCached) {
      this.rows.clear();
      missing = unique;
    }
    missing.sort((a, b) => a - b);
    for (let k = 0; k < missing.length; ) {
      let e = k + 1;
      while (e < missing.length && missing[e] === missing[e - 1] + 1 && e - k < 4096) e++;
      const block = readSafetensorsRows(this.header.path, this.header, this.name, missing[k], e - k);
      for (let r = 0; r < e - k; r++) this.rows.set(missing[k + r], block.subarray(r * this.dim, (r + 1) * this.dim));
      k = e;
    }
  }

  get(id: number): Float32Array {
    const r = this.rows.get(id);
    if (!r) throw new RangeError(`word row ${id} not loaded`);
    return r;
  }
}

export interface XlmrLoadOptions {
  /** Total tokens kept, `<s>` and `</s>` included (default 512, E5). */
  readonly maxLength?: number;
}

export class XlmrEmbeddingEncoder implements TextEncoder {
  readonly id = XLMR_ENCODER_ID;
  readonly version: string;
  readonly dim: number;

  private constructor(
    private readonly weights: XlmrEmbeddingWeights,
    private readonly words: WordTable,
    readonly tokenizer: XlmrTokenizer,
    readonly maxLength: number,
    version: string,
  ) {
    this.dim = weights.dim;
    this.version = version;
  }

  /** Load from a folder with `model.safetensors` and `tokenizer.json` (optionally `config.json`). */
  static async load(dir: string, opts: XlmrLoadOptions = {}): Promise<XlmrEmbeddingEncoder> {
    const modelPath = join(dir, 'model.safetensors');
    if (!existsSync(modelPath)) throw new InputError(`${modelPath}: file not found (XLM-R weights)`);
    const header = readSafetensorsHeader(modelPath);
    const prefix = xlmrTensorPrefix(header);
    const wordInfo = header.tensors.get(prefix + NAMES.word)!;
    if (wordInfo.dtype !== 'F32' || wordInfo.shape.length !== 2) {
      throw new InputError(`${modelPath}: "${prefix}${NAMES.word}" must be a 2-D F32 tensor, found ${wordInfo.dtype} [${wordInfo.shape.join(', ')}]`);
    }
    const [vocabSize, dim] = wordInfo.shape;
    const { tensors } = readSafetensors(modelPath, [NAMES.position, NAMES.tokenType, NAMES.lnWeight, NAMES.lnBias].map((n) => prefix + n));
    const get = (n: string, shape: string, ok: (s: readonly number[]) => boolean): Float32Array => {
      const t = tensors.get(prefix + n)!;
      if (!ok(t.shape)) throw new InputError(`${modelPath}: "${prefix}${n}" has shape [${t.shape.join(', ')}], expected ${shape}`);
      return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    };
    const position = get(NAMES.position, `[positions, ${dim}]`, (s) => s.length === 2 && s[1] === dim);
    const tokenType = get(NAMES.tokenType, `[types, ${dim}]`, (s) => s.length === 2 && s[1] === dim && s[0] >= 1).subarray(0, dim);
    const lnWeight = get(NAMES.lnWeight, `[${dim}]`, (s) => s.length === 1 && s[0] === dim);
    const lnBias = get(NAMES.lnBias, `[${dim}]`, (s) => s.length === 1 && s[0] === dim);
    const { eps, paddingIdx } = readConfig(dir);
    const maxPositions = position.length / dim;
    const maxLength = opts.maxLength ?? XLMR_MAX_LENGTH;
    if (maxLength < 2) throw new RangeError(`xlmr: maxLength ${maxLength} < 2`);
    if (paddingIdx + maxLength >= maxPositions) {
      throw new InputError(`${modelPath}: ${maxPositions} position embeddings cannot hold ${maxLength} tokens starting at position ${paddingIdx + 1}`);
    }
    const tokenizer = loadXlmrTokenizer(dir);
    const weights: XlmrEmbeddingWeights = { dim, vocabSize, position, maxPositions, tokenType, lnWeight, lnBias, eps, paddingIdx };
    const version = `${XLMR_RECIPE_VERSION};max=${maxLength};weights=${fileFingerprint(modelPath)};tokenizer=${fileFingerprint(join(dir, 'tokenizer.json'))}`;
    return new XlmrEmbeddingEncoder(weights, new WordTable(header, prefix + NAMES.word, vocabSize, dim), tokenizer, maxLength, version);
  }

  /** Token ids as E5 feeds them: `<s>`, at most maxLength − 2 text tokens, `</s>`. */
  tokenize(text: string): number[] {
    return wrapAndTruncate(this.tokenizer.encodeContent(text), this.tokenizer.bosId, this.tokenizer.eosId, this.maxLength);
  }

  async embedTexts(texts: readonly string[]): Promise<Matrix<Float32Array>> {
    const seqs = texts.map((t) => this.tokenize(t));
    const acc = new Float64Array(texts.length * this.dim);
    const one = new Float64Array(this.dim);
    for (let i = 0; i < seqs.length; i++) {
      for (const id of seqs[i]) {
        if (!Number.isInteger(id) || id < 0 || id >= this.words.vocabSize) {
          throw new InputError(`${this.words.path}: the tokenizer produced id ${id}, outside the ${this.words.vocabSize}-row word-embedding table (tokenizer.json and weights do not match)`);
        }
      }
      this.words.load(seqs[i]);
      embeddingLayerMean(seqs[i], this.weights, (id) => this.words.get(id), one);
      acc.set(one, i * this.dim);
    }
    return normalizeRowsF32(texts.length, this.dim, acc);
  }
}
