/**
 * Training a CLUB network (DESIGN.md §2) the way the authors trained theirs: maximise the
 * Gaussian log-likelihood of q(y|x) = N(μ(x), diag e^{lv(x)}), i.e. minimise
 *   L = mean_i Σ_d [ (μ_id − y_id)²·e^{−lv_id} + lv_id ],
 * with Adam on shuffled mini-batches, early stopping on the held-out L, keeping the best epoch.
 * The gradient computation is a pluggable backend: `jsClubBackend` (float64, here) or the
 * onnxruntime one in accel/ (float32 GEMMs on MLAS, the fast path). Seeded: the same seed and
 * backend give the same weights.
 *
 * Two variants: "paper" (tanh-bounded log-variance, σ² ≥ e⁻¹, raw inputs — the released
 * estimator's architecture; on unit-norm 768-d embeddings whose per-coordinate variance is
 * ≈ 1/768 it yields a monotone score, not calibrated nats) and "calibrated" (unbounded
 * log-variance, inputs and targets standardised per column; the standardisation is folded into
 * the first and last layers afterwards, so the saved network takes raw inputs).
 */
import type { ClubNetwork } from '../club.js';
import type { Matrix } from '../matrix.js';
import { Rng } from '../random.js';
import { Adam, denseLayer, gatherRows } from './mlp.js';
import { applyStandardize, columnStats, type ColumnStats } from './standardize.js';

export type ClubVariant = 'paper' | 'calibrated';

export interface ClubTrainConfig {
  /** Hidden width of both heads. Default 250 (the released CLUB_global.pt). */
  readonly hidden: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Share of rows held out for early stopping. Default 0.1. */
  readonly valFraction: number;
  /** Stop after this many epochs without a better held-out loss. Default 10. */
  readonly patience: number;
  readonly variant: ClubVariant;
  readonly seed: number;
}

export const CLUB_TRAIN_DEFAULTS: ClubTrainConfig = { hidden: 250, epochs: 100, batchSize: 256, lr: 1e-3, valFraction: 0.1, patience: 10, variant: 'paper', seed: 0 };

/** The eight parameter arrays in state-dict order: p_mu.0.{weight,bias}, p_mu.2.*, p_logvar.0.*, p_logvar.2.*. */
export type ClubParams = readonly [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];

export interface ClubShape {
  readonly dx: number;
  readonly dy: number;
  readonly hidden: number;
  readonly boundedLogvar: boolean;
}

/** Computes the loss L (mean over rows) and optionally its gradients for a batch. */
export interface ClubBackend {
  readonly name: string;
  lossAndGrad(params: ClubParams, x: Float64Array, y: Float64Array, n: number): Promise<{ loss: number; grads: readonly ArrayLike<number>[] }>;
  loss(params: ClubParams, x: Float64Array, y: Float64Array, n: number): Promise<number>;
}

/** Torch-default initialisation of both heads. */
export function initClubParams(shape: ClubShape, rng: Rng): ClubParams {
  const m1 = denseLayer(shape.dx, shape.hidden, rng);
  const m2 = denseLayer(shape.hidden, shape.dy, rng);
  const l1 = denseLayer(shape.dx, shape.hidden, rng);
  const l2 = denseLayer(shape.hidden, shape.dy, rng);
  return [m1.w, m1.b, m2.w, m2.b, l1.w, l1.b, l2.w, l2.b];
}

export function clubNetworkFromParams(p: ClubParams, shape: ClubShape): ClubNetwork {
  const { dx, dy, hidden } = shape;
  return {
    muW1: { rows: hidden, cols: dx, data: p[0] }, muB1: p[1], muW2: { rows: dy, cols: hidden, data: p[2] }, muB2: p[3],
    lvW1: { rows: hidden, cols: dx, data: p[4] }, lvB1: p[5], lvW2: { rows: dy, cols: hidden, data: p[6] }, lvB2: p[7],
    boundedLogvar: shape.boundedLogvar,
  };
}

/** Plain-JS float64 forward + backward of L. */
export function jsClubBackend(shape: ClubShape): ClubBackend {
  const { dx, dy, hidden: h, boundedLogvar } = shape;
  const run = (p: ClubParams, x: Float64Array, y: Float64Array, n: number, wantGrad: boolean): { loss: number; grads: Float64Array[] } => {
    const l = (w: Float64Array, b: Float64Array, inDim: number, outDim: number) => ({ w, b, inDim, outDim });
    const mu1 = l(p[0], p[1], dx, h);
    const mu2 = l(p[2], p[3], h, dy);
    const lv1 = l(p[4], p[5], dx, h);
    const lv2 = l(p[6], p[7], h, dy);
    const a1 = tanhAll(forward(x, n, mu1));
    const mu = forward(a1, n, mu2);
    const a3 = tanhAll(forward(x, n, lv1));
    const lv = forward(a3, n, lv2);
    if (boundedLogvar) tanhAll(lv);
    let loss = 0;
    const dmu = new Float64Array(n * dy);
    const dlv = new Float64Array(n * dy);
    for (let k = 0; k < n * dy; k++) {
      const diff = mu[k] - y[k];
      const prec = Math.exp(-lv[k]);
      const t = diff * diff * prec;
      loss += t + lv[k];
      dmu[k] = (2 * diff * prec) / n;
      const g = (1 - t) / n;
      dlv[k] = boundedLogvar ? g * (1 - lv[k] * lv[k]) : g;
    }
    if (!wantGrad) return { loss: loss / n, grads: [] };
    const grads = p.map((a) => new Float64Array(a.length));
    const g = (w: Float64Array, b: Float64Array, inDim: number, outDim: number) => ({ w, b, inDim, outDim });
    const da1 = backward(dmu, a1, n, mu2, g(grads[2], grads[3], h, dy));
    for (let k = 0; k < da1.length; k++) da1[k] *= 1 - a1[k] * a1[k];
    backward(da1, x, n, mu1, g(grads[0], grads[1], dx, h));
    const da3 = backward(dlv, a3, n, lv2, g(grads[6], grads[7], h, dy));
    for (let k = 0; k < da3.length; k++) da3[k] *= 1 - a3[k] * a3[k];
    backward(da3, x, n, lv1, g(grads[4], grads[5], dx, h));
    return { loss: loss / n, grads };
  };
  return {
    name: 'js-float64',
    lossAndGrad: async (p, x, y, n) => run(p, x, y, n, true),
    loss: async (p, x, y, n) => run(p, x, y, n, false).loss,
  };
}

type Layer = { w: Float64Array; b: Float64Array; inDim: number; outDim: number };

function forward(a: Float64Array, n: number, layer: Layer): Float64Array {
  const { inDim: k, outDim: m, w, b } = layer;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let s = b[j];
    for (let t = 0; t < k; t++) s += a[i * k + t] * w[j * k + t];
    out[i * m + j] = s;
  }
  return out;
}

function tanhAll(a: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] = Math.tanh(a[i]);
  return a;
}

function backward(dOut: Float64Array, a: Float64Array, n: number, layer: Layer, grad: Layer): Float64Array {
  const { inDim: k, outDim: m, w } = layer;
  const dA = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    const g = dOut[i * m + j];
    grad.b[j] += g;
    for (let t = 0; t < k; t++) {
      grad.w[j * k + t] += g * a[i * k + t];
      dA[i * k + t] += g * w[j * k + t];
    }
  }
  return dA;
}

export interface ClubTrainResult {
  /** The network at the best epoch, taking raw (unstandardised) inputs. */
  readonly network: ClubNetwork;
  /** 1-based epoch of the kept network. */
  readonly bestEpoch: number;
  /** Held-out L of the kept network: valLoss[bestEpoch - 1], the minimum of valLoss. */
  readonly bestValLoss: number;
  /** Mean training loss L per epoch (running over the epoch's batches). */
  readonly trainLoss: number[];
  /** Held-out L per epoch (the early-stopping criterion); lower is better. */
  readonly valLoss: number[];
  readonly trainRows: number;
  readonly valRows: number;
  readonly config: ClubTrainConfig;
  readonly backend: string;
}

/**
 * Fold column standardisation into the network: the trained net maps x_s = (x − m_x)/s_x to
 * (μ_s, lv_s) for y_s = (y − m_y)/s_y; the folded net maps x to μ = s_y·μ_s + m_y and
 * lv = lv_s + 2·log s_y (valid only for an unbounded log-variance).
 */
export function foldStandardization(p: ClubParams, shape: ClubShape, sx: ColumnStats, sy: ColumnStats): ClubParams {
  const { dx, dy, hidden: h } = shape;
  const first = (w: Float64Array, b: Float64Array): [Float64Array, Float64Array] => {
    const w2 = new Float64Array(w.length);
    const b2 = Float64Array.from(b);
    for (let j = 0; j < h; j++) for (let t = 0; t < dx; t++) {
      const v = w[j * dx + t] / sx.std[t];
      w2[j * dx + t] = v;
      b2[j] -= v * sx.mean[t];
    }
    return [w2, b2];
  };
  const [mw1, mb1] = first(p[0], p[1]);
  const [lw1, lb1] = first(p[4], p[5]);
  const mw2 = new Float64Array(p[2].length);
  const mb2 = new Float64Array(dy);
  const lb2 = new Float64Array(dy);
  for (let j = 0; j < dy; j++) {
    for (let t = 0; t < h; t++) mw2[j * h + t] = p[2][j * h + t] * sy.std[j];
    mb2[j] = p[3][j] * sy.std[j] + sy.mean[j];
    lb2[j] = p[7][j] + 2 * Math.log(sy.std[j]);
  }
  return [mw1, mb1, mw2, mb2, lw1, lb1, Float64Array.from(p[6]), lb2];
}

/** Train a CLUB network on paired rows (x_i, y_i). */
export async function trainClub(x: Matrix, y: Matrix, config: Partial<ClubTrainConfig> = {}, makeBackend: (shape: ClubShape) => ClubBackend | Promise<ClubBackend> = jsClubBackend, onEpoch?: (epoch: number, train: number, val: number) => void): Promise<ClubTrainResult> {
  const c: ClubTrainConfig = { ...CLUB_TRAIN_DEFAULTS, ...config };
  if (x.rows !== y.rows) throw new RangeError(`trainClub: x has ${x.rows} rows, y has ${y.rows}`);
  for (const key of ['hidden', 'epochs', 'batchSize', 'patience'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new RangeError(`trainClub: ${key} must be a positive integer, got ${c[key]}`);
  }
  if (!(c.lr > 0)) throw new RangeError(`trainClub: lr must be positive, got ${c.lr}`);
  if (!(c.valFraction > 0 && c.valFraction < 1)) throw new RangeError(`trainClub: valFraction must be in (0, 1), got ${c.valFraction}`);
  const n = x.rows;
  const nVal = Math.max(1, Math.round(n * c.valFraction));
  if (n - nVal < 2) throw new RangeError(`trainClub: ${n} rows leave ${n - nVal} for training`);
  const rng = new Rng(c.seed);
  const perm = rng.permutation(n);
  const trainIdx = perm.slice(0, n - nVal);
  const valIdx = perm.slice(n - nVal);
  const calibrated = c.variant === 'calibrated';
  const shape: ClubShape = { dx: x.cols, dy: y.cols, hidden: c.hidden, boundedLogvar: !calibrated };
  const sub = (m: Matrix, idx: Int32Array): Matrix<Float64Array> => ({ rows: idx.length, cols: m.cols, data: gatherRows(m, idx) });
  const sx = calibrated ? columnStats(sub(x, trainIdx)) : null;
  const sy = calibrated ? columnStats(sub(y, trainIdx)) : null;
  const xs = sx ? applyStandardize(x, sx) : x;
  const ys = sy ? applyStandardize(y, sy) : y;
  const xVal = gatherRows(xs, valIdx);
  const yVal = gatherRows(ys, valIdx);
  const backend = await makeBackend(shape);
  const params = initClubParams(shape, rng);
  const adam = new Adam([...params], c.lr);
  let best = { loss: Infinity, epoch: -1, params: params.map((a) => Float64Array.from(a)) as unknown as ClubParams };
  const trainLoss: number[] = [];
  const valLoss: number[] = [];
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    const order = rng.permutation(trainIdx.length);
    let sum = 0;
    for (let s = 0; s < order.length; s += c.batchSize) {
      const e = Math.min(order.length, s + c.batchSize);
      const rows = new Int32Array(e - s);
      for (let k = s; k < e; k++) rows[k - s] = trainIdx[order[k]];
      const { loss, grads } = await backend.lossAndGrad(params, gatherRows(xs, rows), gatherRows(ys, rows), rows.length);
      if (!Number.isFinite(loss)) throw new RangeError(`trainClub: training loss became ${loss} at epoch ${epoch + 1}; lower the learning rate`);
      sum += loss * rows.length;
      adam.step(grads);
    }
    const v = await backend.loss(params, xVal, yVal, valIdx.length);
    trainLoss.push(sum / order.length);
    valLoss.push(v);
    onEpoch?.(epoch + 1, sum / order.length, v);
    if (v < best.loss) best = { loss: v, epoch, params: params.map((a) => Float64Array.from(a)) as unknown as ClubParams };
    else if (epoch - best.epoch >= c.patience) break;
  }
  const finalParams = sx && sy ? foldStandardization(best.params, shape, sx, sy) : best.params;
  return {
    network: clubNetworkFromParams(finalParams, shape),
    bestEpoch: best.epoch + 1,
    bestValLoss: best.loss,
    trainLoss,
    valLoss,
    trainRows: trainIdx.length,
    valRows: valIdx.length,
    config: c,
    backend: backend.name,
  };
}
