/**
 * The paper's image encoder (E4, DESIGN.md §2): the CLIP ViT-B/32 vision tower, last encoder
 * layer's hidden states before the post-layernorm, mean over the patch tokens (token 0, the
 * class token, dropped), L2-normalised.
 *
 * The weights are the transformers.js ONNX export (`Xenova/clip-vit-base-patch32`,
 * `onnx/vision_model.onnx`, a CLIPVisionModelWithProjection with input `pixel_values`
 * [batch, 3, 224, 224] and outputs `image_embeds`, `last_hidden_state`); its
 * `last_hidden_state` is the encoder output before `post_layernorm`, which is what E4 takes.
 * The graph runs in onnxruntime-node (CPU) — the runtime transformers.js itself uses in Node —
 * called directly so that only `last_hidden_state` is fetched and the preprocessing is ours
 * (clip-preprocess.ts, Pillow-exact), not a re-implementation with another resampler.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { InputError, RunError } from '../errors.js';
import type { Matrix } from '../core/matrix.js';
import { CLIP_IMAGE_SIZE, CLIP_MEAN, CLIP_STD, clipPreprocessInto } from './clip-preprocess.js';
import type { ImageEncoder } from './encoder.js';
import { CLIP_ENCODER_ID, normalizeRowsF32 } from './encoder.js';
import { fileFingerprint } from './fingerprint.js';
import type { Rgb8Image } from '../io/image.js';

export { CLIP_ENCODER_ID } from './encoder.js';
/** Bump when the recipe (preprocessing, pooling) changes. */
export const CLIP_RECIPE_VERSION = 'e4.1';
const INPUT = 'pixel_values';
const OUTPUT = 'last_hidden_state';

/**
 * onnxruntime session options for the CLIP graph. Intra-op threads do not spin-wait after a
 * run: between runs the main thread preprocesses the next batch, and spinning workers would
 * take the cores it needs (measured: ~35 % less wall time per batch on a busy 2-core machine).
 */
export function clipSessionOptions(threads?: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
}

export interface ClipLoadOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's choice, one per physical core). */
  readonly threads?: number;
  /**
   * Images per onnxruntime run (default 4). `embedImages` splits its input into runs of this
   * size and preprocesses run k+1 on the main thread while onnxruntime computes run k on its
   * own threads, so most of the preprocessing is hidden behind inference.
   */
  readonly microBatch?: number;
}

/**
 * Mean over tokens 1..T−1 of a [n, T, D] hidden-state tensor (E4), then L2 normalisation.
 * Accumulates in float64.
 */
export function patchMeanPool(hidden: Float32Array, n: number, tokens: number, dim: number): Matrix<Float32Array> {
  const acc = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    for (let t = 1; t < tokens; t++) {
      const h = (i * tokens + t) * dim;
      for (let d = 0; d < dim; d++) acc[o + d] += hidden[h + d];
    }
    for (let d = 0; d < dim; d++) acc[o + d] /= tokens - 1;
  }
  return normalizeRowsF32(n, dim, acc);
}

/**
 * Check a model folder's `preprocessor_config.json` (when present) against E4: our
 * preprocessing is fixed to ViT-B/32's (224 crop, OpenAI mean/std), so a folder holding
 * another CLIP (e.g. ViT-L/14 at 336) must not be used silently.
 */
export function checkClipPreprocessorConfig(dir: string): void {
  const p = join(dir, 'preprocessor_config.json');
  if (!existsSync(p)) return;
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new InputError(`${p}: not valid JSON`);
  }
  const size = (v: unknown): number | undefined => {
    if (typeof v === 'number') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const n = o.shortest_edge ?? o.height ?? o.width;
      return typeof n === 'number' ? n : undefined;
    }
    return undefined;
  };
  const close = (a: unknown, b: readonly number[]) => Array.isArray(a) && a.length === 3 && a.every((x, i) => typeof x === 'number' && Math.abs(x - b[i]) < 1e-6);
  const problems: string[] = [];
  for (const k of ['crop_size', 'size']) {
    const v = size(c[k]);
    if (v !== undefined && v !== CLIP_IMAGE_SIZE) problems.push(`${k} ${v} (E4 uses ${CLIP_IMAGE_SIZE})`);
  }
  if (c.image_mean !== undefined && !close(c.image_mean, CLIP_MEAN)) problems.push('image_mean differs from CLIP\'s');
  if (c.image_std !== undefined && !close(c.image_std, CLIP_STD)) problems.push('image_std differs from CLIP\'s');
  if (problems.length > 0) {
    throw new InputError(`${p}: not the CLIP ViT-B/32 preprocessing the paper encoder implements: ${problems.join('; ')}`);
  }
}

export class ClipImageEncoder implements ImageEncoder {
  readonly id = CLIP_ENCODER_ID;
  readonly version: string;
  readonly dim: number;
  /** Tokens per image in `last_hidden_state` (50 for ViT-B/32 at 224: class + 7×7 patches). */
  readonly tokens: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly modelPath: string,
    weights: string,
    tokens: number,
    dim: number,
    readonly microBatch: number,
  ) {
    this.version = `${CLIP_RECIPE_VERSION};weights=${weights}`;
    this.tokens = tokens;
    this.dim = dim;
  }

  /** Load `vision_model.onnx` (a CLIP vision tower export) and check its inputs and outputs with one blank image. */
  static async load(onnxPath: string, opts: ClipLoadOptions = {}): Promise<ClipImageEncoder> {
    const micro = opts.microBatch ?? 4;
    if (!Number.isInteger(micro) || micro < 1) throw new RangeError(`clip: microBatch must be a positive integer, got ${micro}`);
    const weights = fileFingerprint(onnxPath);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnxPath, clipSessionOptions(opts.threads));
    } catch (e) {
      throw new InputError(`${onnxPath}: cannot load ONNX model (${(e as Error).message.split('\n')[0]})`);
    }
    if (!session.inputNames.includes(INPUT) || !session.outputNames.includes(OUTPUT)) {
      await session.release();
      throw new InputError(
        `${onnxPath}: not a CLIP vision model export: expected input "${INPUT}" and output "${OUTPUT}", ` +
          `found inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]`,
      );
    }
    const probe = await ClipImageEncoder.runSession(session, onnxPath, new Float32Array(3 * CLIP_IMAGE_SIZE * CLIP_IMAGE_SIZE), 1);
    const [, tokens, dim] = probe.dims;
    if (probe.dims.length !== 3 || tokens < 2 || dim < 1) {
      await session.release();
      throw new InputError(`${onnxPath}: "${OUTPUT}" has shape [${probe.dims.join(', ')}], expected [batch, tokens ≥ 2, dim]`);
    }
    return new ClipImageEncoder(session, onnxPath, weights, tokens, dim, micro);
  }

  private static async runSession(session: ort.InferenceSession, path: string, pixels: Float32Array, n: number): Promise<{ data: Float32Array; dims: number[] }> {
    const feeds = { [INPUT]: new ort.Tensor('float32', pixels, [n, 3, CLIP_IMAGE_SIZE, CLIP_IMAGE_SIZE]) };
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await session.run(feeds, [OUTPUT]);
    } catch (e) {
      throw new RunError(`${path}: onnxruntime failed on a batch of ${n} (${(e as Error).message.split('\n')[0]})`);
    }
    const t = out[OUTPUT];
    if (t.type !== 'float32') throw new InputError(`${path}: "${OUTPUT}" is ${t.type}, expected float32`);
    return { data: t.data as Float32Array, dims: t.dims.map(Number) };
  }

  /** E4 preprocessing of a batch into one [n, 3, 224, 224] buffer. */
  preprocess(images: readonly Rgb8Image[]): Float32Array {
    const per = 3 * CLIP_IMAGE_SIZE * CLIP_IMAGE_SIZE;
    const pixels = new Float32Array(images.length * per);
    for (let i = 0; i < images.length; i++) clipPreprocessInto(images[i], pixels, i * per);
    return pixels;
  }

  /** Run the graph on preprocessed pixels and pool (E4). */
  async embedPixels(pixels: Float32Array, n: number): Promise<Matrix<Float32Array>> {
    const { data, dims } = await ClipImageEncoder.runSession(this.session, this.modelPath, pixels, n);
    if (dims[0] !== n || dims[1] !== this.tokens || dims[2] !== this.dim) {
      throw new RunError(`${this.modelPath}: "${OUTPUT}" has shape [${dims.join(', ')}], expected [${n}, ${this.tokens}, ${this.dim}]`);
    }
    return patchMeanPool(data, n, this.tokens, this.dim);
  }

  async embedImages(images: readonly Rgb8Image[]): Promise<Matrix<Float32Array>> {
    const n = images.length;
    const out = new Float32Array(n * this.dim);
    if (n === 0) return { rows: 0, cols: this.dim, data: out };
    // Pipelined: session.run works off the main thread, so preprocessing run k+1 overlaps run k
    // (one run at a time: concurrent runs would only fight over onnxruntime's threads).
    const m = this.microBatch;
    const prepare = (at: number) => ({ at, count: Math.min(m, n - at), pixels: this.preprocess(images.slice(at, at + m)) });
    let current = prepare(0);
    let inflight = this.embedPixels(current.pixels, current.count);
    for (;;) {
      const at = current.at + current.count;
      let next: ReturnType<typeof prepare> | undefined;
      try {
        next = at < n ? prepare(at) : undefined;
      } catch (e) {
        await inflight.catch(() => undefined);
        throw e;
      }
      out.set((await inflight).data, current.at * this.dim);
      if (!next) break;
      current = next;
      inflight = this.embedPixels(current.pixels, current.count);
    }
    return { rows: n, cols: this.dim, data: out };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
