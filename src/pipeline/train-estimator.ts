/**
 * Training a CLUB estimator on embedding sets (DESIGN.md §2): pairs (x, z) with x = (z_v + z_t)/2
 * (E6) and z the reference responses, the model responses, or both; the network is trained by
 * `trainClub` (Gaussian log-likelihood, Adam, early stopping, best epoch kept) and saved as
 * safetensors with the training config and curves in the metadata, ready for `emi`/`emid
 * --estimator`.
 */
import { queryEmbedding } from '../core/emi.js';
import { firstNonFinite, type Matrix } from '../core/matrix.js';
import { trainClub, type ClubBackend, type ClubShape, type ClubTrainConfig, type ClubTrainResult } from '../core/estimators/club-train.js';
import { InputError } from '../errors.js';
import type { EmbeddingSet } from '../io/embedding-set.js';
import { saveClubCheckpoint } from '../io/estimator-checkpoint.js';
import { recordedEncoders } from './estimate.js';
import { VERSION } from '../version.js';

export type PairsMode = 'reference' | 'model' | 'both';

/** Stack the training pairs of every set: rows (x, y), (x, ŷ) or both. */
export function trainingPairs(sets: readonly EmbeddingSet[], pairs: PairsMode): { x: Matrix<Float64Array>; y: Matrix<Float64Array> } {
  if (sets.length === 0) throw new InputError('no embedding sets to train on');
  const dx = sets[0].xv.cols;
  const dy = sets[0].y.cols;
  for (const s of sets) {
    if (s.xv.cols !== dx || s.y.cols !== dy) throw new InputError(`${s.path}: dimensions [${s.xv.cols}, ${s.y.cols}] (x, y) differ from ${sets[0].path} [${dx}, ${dy}]`);
    const a = recordedEncoders(sets[0].metadata);
    const b = recordedEncoders(s.metadata);
    if (a && b && (a.image !== b.image || a.text !== b.text)) {
      throw new InputError(`${s.path}: embedded with encoders (image ${b.image}, text ${b.text}), unlike ${sets[0].path} (image ${a.image}, text ${a.text}); train on sets of one encoder pair`);
    }
  }
  const targets = (s: EmbeddingSet): Matrix[] => (pairs === 'reference' ? [s.y] : pairs === 'model' ? [s.yHat] : [s.y, s.yHat]);
  let rows = 0;
  for (const s of sets) rows += s.xv.rows * targets(s).length;
  const x = new Float64Array(rows * dx);
  const y = new Float64Array(rows * dy);
  let r = 0;
  for (const s of sets) {
    const q = queryEmbedding(s.xv, s.xt);
    for (const t of targets(s)) {
      x.set(q.data, r * dx);
      y.set(t.data, r * dy);
      r += s.xv.rows;
    }
  }
  return { x: { rows, cols: dx, data: x }, y: { rows, cols: dy, data: y } };
}

export interface TrainEstimatorOptions extends Partial<ClubTrainConfig> {
  readonly pairs?: PairsMode;
  readonly backend?: (shape: ClubShape) => ClubBackend | Promise<ClubBackend>;
  readonly onEpoch?: (epoch: number, trainLoss: number, valLoss: number) => void;
}

/** The checkpoint metadata: what was trained, how, on what, and the curves. */
export function trainingMetadata(r: ClubTrainResult, sets: readonly EmbeddingSet[], pairs: PairsMode): Record<string, string> {
  return {
    format: 'mllmshift.club-estimator/1',
    variant: r.config.variant,
    x_dim: String(r.network.muW1.cols),
    y_dim: String(r.network.muW2.rows),
    hidden: String(r.config.hidden),
    pairs,
    sets: JSON.stringify(sets.map((s) => s.name)),
    ...(sets.length > 0 && sets[0].metadata.encoders !== undefined ? { encoders: sets[0].metadata.encoders } : {}),
    train_rows: String(r.trainRows),
    val_rows: String(r.valRows),
    best_epoch: String(r.bestEpoch),
    objective: 'minimise mean_i sum_d [(mu - y)^2 exp(-logvar) + logvar] (negative Gaussian log-likelihood x2, up to a constant)',
    training_config: JSON.stringify(r.config),
    curves: JSON.stringify({ train_loss: r.trainLoss, val_loss: r.valLoss }),
    backend: r.backend,
    version: VERSION,
  };
}

function largestMagnitude(...ms: readonly Matrix[]): number {
  let m = 0;
  for (const a of ms) for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]));
  return m;
}

/** Train on the sets and write the checkpoint to `out`; a checkpoint with a non-finite weight is never written. */
export async function trainEstimator(sets: readonly EmbeddingSet[], out: string, options: TrainEstimatorOptions = {}): Promise<ClubTrainResult> {
  const pairs = options.pairs ?? 'reference';
  const { x, y } = trainingPairs(sets, pairs);
  const { backend, onEpoch, pairs: _p, ...config } = options;
  const files = sets.map((s) => s.path).join(', ');
  let result: ClubTrainResult;
  try {
    result = await trainClub(x, y, config, backend, onEpoch);
  } catch (e) {
    // trainClub's RangeErrors are about these inputs and settings (too few rows, a diverging loss).
    if (e instanceof RangeError) throw new InputError(`training on ${files}: ${e.message.replace(/^trainClub: /, '')}`);
    throw e;
  }
  const net = result.network;
  for (const [name, a] of [['p_mu.0.weight', net.muW1.data], ['p_mu.0.bias', net.muB1], ['p_mu.2.weight', net.muW2.data], ['p_mu.2.bias', net.muB2],
    ['p_logvar.0.weight', net.lvW1.data], ['p_logvar.0.bias', net.lvB1], ['p_logvar.2.weight', net.lvW2.data], ['p_logvar.2.bias', net.lvB2]] as const) {
    // Checked as float32, the precision the checkpoint stores (a weight beyond ±3.4e38 would become Infinity).
    if (firstNonFinite(Float32Array.from(a)) >= 0 || !Number.isFinite(result.bestValLoss)) {
      throw new InputError(
        `training on ${files} gave non-finite weights (${name}); the inputs reach |value| ${largestMagnitude(x, y).toExponential(2)} `
        + '(embeddings are expected L2-normalised); nothing was written',
      );
    }
  }
  saveClubCheckpoint(out, result.network, trainingMetadata(result, sets, pairs));
  return result;
}
