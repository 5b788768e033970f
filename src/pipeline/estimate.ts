/**
 * The estimate stage: EMI of embedding sets, and EMID, JSD terms and the bound of OOD sets
 * against an ID set, with correlations across OOD sets (DESIGN.md §1–§2, E1–E11).
 */
import { clubForward, clubInputDim, clubOutputDim, type ClubMoments, type ClubNetwork } from '../core/club.js';
import { emiFromMoments, emidUpperBound, queryEmbedding, type BoundForm, type JsdTerms } from '../core/emi.js';
import type { JsdMixture } from '../core/jsd.js';
import { takeRows, type Matrix } from '../core/matrix.js';
import { Rng } from '../core/random.js';
import { kendall, pearson, spearman, type Correlation } from '../core/stats.js';
import { InputError } from '../errors.js';
import type { EmbeddingSet } from '../io/embedding-set.js';
import type { ClubCheckpoint } from '../io/estimator-checkpoint.js';
import { CLIP_ENCODER_ID, XLMR_ENCODER_ID } from '../encode/encoder.js';
import type { GemmBackend } from '../accel/cross-products.js';
import type { EntropyFn } from '../accel/entropy-pool.js';
import { JsdEngine } from './jsd-engine.js';

/** Computes q(y|x) moments for a batch of queries; the plain-JS forward by default. */
export type MomentsFn = (x: Matrix) => ClubMoments | Promise<ClubMoments>;

export interface EmiValue {
  readonly emi: number;
  /** CLUB(x, z_ŷ) */
  readonly miModel: number;
  /** CLUB(x, z_y) */
  readonly miReference: number;
  readonly n: number;
}

/** The image and text encoder ids behind embeddings or an estimator. */
export interface EncoderIds {
  readonly image: string;
  readonly text: string;
}

/** The paper's encoders (E4, E5), which the authors' PyTorch estimator was trained for. */
export const PAPER_ENCODER_IDS: EncoderIds = { image: CLIP_ENCODER_ID, text: XLMR_ENCODER_ID };

/** The encoders recorded in metadata (`encoders`: JSON with image.id and text.id), if any. */
export function recordedEncoders(metadata: Readonly<Record<string, string>>): EncoderIds | undefined {
  if (metadata.encoders === undefined) return undefined;
  try {
    const e = JSON.parse(metadata.encoders) as { image?: { id?: unknown }; text?: { id?: unknown } };
    if (typeof e.image?.id === 'string' && typeof e.text?.id === 'string') return { image: e.image.id, text: e.text.id };
  } catch {
    // unreadable metadata: unknown encoders
  }
  return undefined;
}

/**
 * The encoders an estimator was trained for: recorded by train-estimator, or the paper's for
 * the authors' PyTorch checkpoints; undefined when the checkpoint does not say.
 */
export function estimatorEncoders(ckpt: ClubCheckpoint): EncoderIds | undefined {
  return recordedEncoders(ckpt.metadata) ?? (ckpt.metadata.source === 'pytorch' ? PAPER_ENCODER_IDS : undefined);
}

const describeIds = (e: EncoderIds): string => `image ${e.image}, text ${e.text}`;

/**
 * Check that a set fits the estimator: its dimensions, and the encoders it was embedded with
 * against those the estimator was trained for (an estimator used on other encoders' embeddings
 * gives meaningless numbers). A mismatch of encoders is an error unless `allowEncoderMismatch`.
 */
export function checkSetAgainstEstimator(set: EmbeddingSet, ckpt: ClubCheckpoint, options: { readonly allowEncoderMismatch?: boolean } = {}): void {
  const net = ckpt.network;
  const estimatorPath = ckpt.path;
  const want = estimatorEncoders(ckpt);
  const have = recordedEncoders(set.metadata);
  if (!options.allowEncoderMismatch && want && have && (want.image !== have.image || want.text !== have.text)) {
    throw new InputError(
      `${set.path}: embedded with encoders (${describeIds(have)}) but the estimator ${estimatorPath} was trained for (${describeIds(want)}); `
      + 'use an estimator trained on these encoders (train-estimator), embed with the matching encoders, or override with --allow-encoder-mismatch',
    );
  }
  const dx = clubInputDim(net);
  const dy = clubOutputDim(net);
  if (set.xv.cols !== dx) {
    throw new InputError(`${set.path}: tensors "x_v"/"x_t" have dimension ${set.xv.cols} but the estimator ${estimatorPath} expects ${dx}`);
  }
  if (set.y.cols !== dy) {
    throw new InputError(`${set.path}: tensors "y_hat"/"y" have dimension ${set.y.cols} but the estimator ${estimatorPath} expects ${dy}`);
  }
}

/** (E8) EMI of one embedding set. */
export async function estimateEmi(set: EmbeddingSet, net: ClubNetwork, moments: MomentsFn = (x) => clubForward(net, x)): Promise<EmiValue> {
  const x = queryEmbedding(set.xv, set.xt);
  const m = await moments(x);
  const r = emiFromMoments(m, set.yHat, set.y);
  return { ...r, n: set.xv.rows };
}

/**
 * (E8) EMI of many sets with one network pass over all their queries stacked (one large GEMM
 * instead of one small one per set). Each set is still its own batch in E7.
 */
export async function estimateEmiMany(sets: readonly EmbeddingSet[], moments: MomentsFn): Promise<EmiValue[]> {
  if (sets.length === 0) return [];
  const d = sets[0].xv.cols;
  const total = sets.reduce((a, s) => a + s.xv.rows, 0);
  const stacked = new Float64Array(total * d);
  let offset = 0;
  for (const s of sets) {
    stacked.set(queryEmbedding(s.xv, s.xt).data, offset * d);
    offset += s.xv.rows;
  }
  const all = await moments({ rows: total, cols: d, data: stacked });
  const dy = all.mu.cols;
  offset = 0;
  return sets.map((s) => {
    const n = s.xv.rows;
    const view = (m: Matrix<Float64Array>): Matrix<Float64Array> => ({ rows: n, cols: dy, data: m.data.subarray(offset * dy, (offset + n) * dy) });
    const r = emiFromMoments({ mu: view(all.mu), logvar: view(all.logvar) }, s.yHat, s.y);
    offset += n;
    return { ...r, n };
  });
}

export interface EmidOptions {
  readonly bound?: BoundForm;
  readonly entropyScaler?: number;
  readonly jsdMixture?: JsdMixture;
  /** Seed for the JSD null baseline (random halves of the ID set). */
  readonly seed?: number;
  readonly moments?: MomentsFn;
  /** GEMM backend for the JSD Gram/covariance matrices (plain JS by default). */
  readonly gemm?: GemmBackend;
  /** Entropy of symmetric matrices (in-thread by default; an EntropyPool uses all cores). */
  readonly entropy?: EntropyFn;
}

export interface OodResult {
  readonly name: string;
  readonly emi: EmiValue;
  /** (E2) EMID = EMI(ID) − EMI(OOD). */
  readonly emid: number;
  readonly jsd: JsdTerms;
  /** (E3) */
  readonly bound: number;
}

export interface EmidAnalysis {
  readonly id: { readonly name: string; readonly emi: EmiValue };
  readonly ood: readonly OodResult[];
  /** JSD between two random halves of the ID set: the finite-sample floor of each term. */
  readonly jsdNull: { readonly visual: number; readonly text: number; readonly output: number; readonly halfSize: number };
  readonly correlations: { readonly pearson: Correlation; readonly spearman: Correlation; readonly kendall: Correlation };
  readonly options: { readonly bound: BoundForm; readonly entropyScaler: number; readonly jsdMixture: JsdMixture; readonly seed: number };
}

/** JSD between two random halves of a set, for each modality (null baseline). */
async function nullBaseline(id: EmbeddingSet, engine: JsdEngine, seed: number): Promise<EmidAnalysis['jsdNull']> {
  const n = id.xv.rows;
  const half = Math.floor(n / 2);
  if (half < 1) return { visual: 0, text: 0, output: 0, halfSize: half };
  const perm = new Rng(seed).permutation(n);
  const a = perm.subarray(0, half);
  const b = perm.subarray(half, 2 * half);
  const j = (m: Matrix): Promise<number> => engine.jsd(takeRows(m, a), takeRows(m, b));
  const [visual, text, output] = await Promise.all([j(id.xv), j(id.xt), j(id.yHat)]);
  return { visual, text, output, halfSize: half };
}

/**
 * EMI of the ID set and of each OOD set, EMID (E2), the four JSD terms (E10) and the bound (E3)
 * for each OOD set, and Pearson/Spearman/Kendall between EMID and the bound across OOD sets.
 */
export async function analyseEmid(id: EmbeddingSet, oods: readonly EmbeddingSet[], net: ClubNetwork, options: EmidOptions = {}): Promise<EmidAnalysis> {
  const bound = options.bound ?? 'scale-adjusted';
  const entropyScaler = options.entropyScaler ?? 1;
  const jsdMixture = options.jsdMixture ?? 'equal';
  const seed = options.seed ?? 0;
  const moments = options.moments ?? ((x: Matrix) => clubForward(net, x));
  for (const s of oods) {
    if (s.xv.cols !== id.xv.cols || s.y.cols !== id.y.cols) {
      throw new InputError(`${s.path}: dimensions [${s.xv.cols}, ${s.y.cols}] (x, y) differ from the ID set ${id.path} [${id.xv.cols}, ${id.y.cols}]`);
    }
  }
  // The JSD work is dispatched first: its eigenvalue solves run on the entropy pool's threads
  // while this thread computes EMI (the network pass blocks it).
  const engine = new JsdEngine(jsdMixture, options.gemm, options.entropy);
  // J_P depends only on the ID set: one constant for the whole run (DESIGN.md §1).
  const idOutputP = engine.jsd(id.yHat, id.y);
  const jsdNullP = nullBaseline(id, engine, seed);
  const jsdP = oods.map((s) => Promise.all([engine.jsd(id.xv, s.xv), engine.jsd(id.xt, s.xt), idOutputP, engine.jsd(s.yHat, s.y)]));
  const [idEmi, ...oodEmi] = await estimateEmiMany([id, ...oods], moments);
  const ood: OodResult[] = await Promise.all(
    oods.map(async (s, k): Promise<OodResult> => {
      const emi = oodEmi[k];
      const [visual, text, idOutput, oodOutput] = await jsdP[k];
      const jsd: JsdTerms = { visual, text, idOutput, oodOutput };
      return { name: s.name, emi, emid: idEmi.emi - emi.emi, jsd, bound: emidUpperBound(jsd, bound, entropyScaler) };
    }),
  );
  const e = ood.map((o) => o.emid);
  const u = ood.map((o) => o.bound);
  return {
    id: { name: id.name, emi: idEmi },
    ood,
    jsdNull: await jsdNullP,
    correlations: { pearson: pearson(e, u), spearman: spearman(e, u), kendall: kendall(e, u) },
    options: { bound, entropyScaler, jsdMixture, seed },
  };
}
