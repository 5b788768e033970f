/**
 * Variational MI estimators that train a critic f(x, y) and evaluate a bound on the B×B score
 * matrix S_ij = f(x_i, y_j) of a batch (diagonal: joint pairs; off-diagonal: pairs from the
 * product of marginals). The critic is separable, f(x, y) = g(x)ᵀh(y) with MLPs g and h
 * (Poole et al. 2019, "On variational bounds of MI"), so a batch costs two MLP passes and one
 * B×B product. Objectives (values in nats, maximised in training):
 * - InfoNCE (van den Oord et al. 2018): mean_i [S_ii − log Σ_j e^{S_ij}] + log B ≤ log B.
 * - NWJ (Nguyen, Wainwright & Jordan 2010): mean_i S_ii − e⁻¹·mean_{i≠j} e^{S_ij}.
 * - MINE (Belghazi et al. 2018): the Donsker–Varadhan bound mean_i S_ii − log mean_{i≠j} e^{S_ij},
 *   trained with the moving-average correction of the gradient of the log term (EMA rate α).
 * - SMILE (Song & Ermon 2020): mean_i S_ii − log mean_{i≠j} e^{clip(S_ij, −τ, τ)}; trained, as
 *   in the authors' code, with the gradient of the Jensen–Shannon (f-GAN) bound.
 * NWJ and MINE have variance growing like e^I (Song & Ermon): their spread at high MI is the
 * estimator's nature, not a defect.
 * The rows are shuffled and split: the critic trains on one part (batches of `batchSize`) and
 * the bound is evaluated on the other, held-out part, split into near-equal evaluation batches
 * of at most `evalBatch` rows (default 4,096: every held-out row contrasts with thousands of
 * others; SMILE: the training batch size, see `criticDefaults`). Large evaluation batches matter
 * for honesty: with the optimal critic InfoNCE on B rows still falls short of I by about
 * χ²(p‖p_x p_y)/B (0.02 nats at I = 0.41, B = 64), a bias that does not shrink with n, while the
 * sampling error does; MINE's log-of-mean is biased at small B too. The interval is a percentile bootstrap over the held-out rows' contributions to
 * the bound (see `heldOutTerms`), the critic fixed. Within the training part a validation share
 * picks the best critic every `evalEvery` steps (early stopping, judged on training-size
 * batches): with a few thousand rows a critic trained for thousands of steps otherwise overfits
 * and its held-out bound collapses.
 */
import { bootstrapMean } from '../bootstrap.js';
import type { Matrix } from '../matrix.js';
import { Rng } from '../random.js';
import { Adam, gatherRows, mlp, mlpBackward, mlpForward, mlpParams, zeroGrad, type Mlp } from './mlp.js';
import { logSumExp } from './special.js';
import { applyStandardize, columnStats } from './standardize.js';
import { checkPaired, type EstimateOptions, type MiEstimate, type MiEstimator } from './types.js';

export type CriticObjective = 'infonce' | 'nwj' | 'mine' | 'smile';

export interface CriticParams {
  /** Batch size B (rows per score matrix). Default 64. */
  readonly batchSize: number;
  /** Training steps (one batch each). Default 2000. */
  readonly steps: number;
  /** Adam learning rate. Default 5e-4. */
  readonly lr: number;
  /** Width of the hidden layers of g and h. Default 128. */
  readonly hidden: number;
  /** Hidden layers of g and h. Default 2. */
  readonly layers: number;
  /** Embedding size of g(x) and h(y). Default 32. */
  readonly embed: number;
  /** Share of rows held out for evaluation. Default 0.5. */
  readonly testFraction: number;
  /** SMILE clip τ. Default 5. */
  readonly tau: number;
  /** MINE moving-average rate α. Default 0.01. */
  readonly emaRate: number;
  /** Share of the training rows used to pick the best critic (early stopping). Default 0.2. */
  readonly valFraction: number;
  /** Steps between validation checks. Default 100. */
  readonly evalEvery: number;
  /** Most rows in one evaluation batch (its score matrix contrasts each row with all the others). Default 4096. */
  readonly evalBatch: number;
  /** Learning-rate schedule: 'constant', 'cosine' (lr decays to 0 over all steps) or 'final-decay' (constant, then a cosine decay to 0 over the last quarter). Default 'final-decay'. */
  readonly schedule: LrSchedule;
}

export type LrSchedule = 'constant' | 'cosine' | 'final-decay';
export const LR_SCHEDULES: readonly LrSchedule[] = ['constant', 'cosine', 'final-decay'];

/** The learning-rate factor at `step` of `steps` (0-based). */
export function learningRateScale(schedule: LrSchedule, step: number, steps: number): number {
  if (schedule === 'cosine') return 0.5 * (1 + Math.cos((Math.PI * step) / steps));
  if (schedule === 'final-decay') {
    const start = Math.floor(0.75 * steps);
    return step < start ? 1 : 0.5 * (1 + Math.cos((Math.PI * (step - start)) / (steps - start)));
  }
  return 1;
}

export const CRITIC_DEFAULTS: CriticParams = { batchSize: 64, steps: 2000, lr: 5e-4, hidden: 128, layers: 2, embed: 32, testFraction: 0.5, tau: 5, emaRate: 0.01, valFraction: 0.2, evalEvery: 100, evalBatch: 4096, schedule: 'final-decay' };

/** Value of the objective's bound on a B×B score matrix (row-major). */
export function boundValue(objective: CriticObjective, s: Float64Array, b: number, tau = CRITIC_DEFAULTS.tau): number {
  let diag = 0;
  for (let i = 0; i < b; i++) diag += s[i * b + i];
  diag /= b;
  if (objective === 'infonce') {
    let v = 0;
    for (let i = 0; i < b; i++) v += s[i * b + i] - logSumExp(s, i * b, (i + 1) * b);
    return v / b + Math.log(b);
  }
  const off = offDiagonal(s, b, objective === 'smile' ? tau : Infinity);
  const logMeanExp = logSumExp(off) - Math.log(off.length);
  if (objective === 'nwj') return diag - Math.exp(logMeanExp - 1);
  return diag - logMeanExp;
}

function offDiagonal(s: Float64Array, b: number, clip: number): Float64Array {
  const off = new Float64Array(b * (b - 1));
  let k = 0;
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) if (i !== j) off[k++] = Math.max(-clip, Math.min(clip, s[i * b + j]));
  return off;
}

const softplus = (v: number): number => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));
const sigmoid = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

/** The Jensen–Shannon (f-GAN) bound SMILE trains with: −mean softplus(−S_ii) − mean_{i≠j} softplus(S_ij). */
export function jsFganValue(s: Float64Array, b: number): number {
  let a = 0;
  let c = 0;
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) {
    if (i === j) a += softplus(-s[i * b + i]);
    else c += softplus(s[i * b + j]);
  }
  return -a / b - c / (b * (b - 1));
}

/**
 * Gradient of the training loss (−objective) with respect to the scores. `logEma` is MINE's
 * running log-mean of e^{S_ij} over off-diagonal pairs (updated in place, entry 0).
 */
export function scoreGradient(objective: CriticObjective, s: Float64Array, b: number, params: CriticParams, logEma: Float64Array): Float64Array {
  const g = new Float64Array(b * b);
  const offCount = b * (b - 1);
  if (objective === 'infonce') {
    for (let i = 0; i < b; i++) {
      const lse = logSumExp(s, i * b, (i + 1) * b);
      for (let j = 0; j < b; j++) g[i * b + j] = Math.exp(s[i * b + j] - lse) / b;
      g[i * b + i] -= 1 / b;
    }
    return g;
  }
  if (objective === 'smile') {
    for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) {
      g[i * b + j] = i === j ? -sigmoid(-s[i * b + i]) / b : sigmoid(s[i * b + j]) / offCount;
    }
    return g;
  }
  let logDenominator = 1; // NWJ: e^{S − 1}
  if (objective === 'mine') {
    const cur = logSumExp(offDiagonal(s, b, Infinity)) - Math.log(offCount);
    const a = params.emaRate;
    logEma[0] = Number.isFinite(logEma[0]) ? logSumExp([Math.log(1 - a) + logEma[0], Math.log(a) + cur]) : cur;
    logDenominator = logEma[0];
  }
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) {
    g[i * b + j] = i === j ? -1 / b : Math.exp(s[i * b + j] - logDenominator) / offCount;
  }
  return g;
}

/** A separable critic: g(x) and h(y), MLPs with ReLU. */
export interface SeparableCritic {
  readonly g: Mlp;
  readonly h: Mlp;
}

export function separableCritic(dx: number, dy: number, params: CriticParams, rng: Rng): SeparableCritic {
  const hidden = new Array<number>(params.layers).fill(params.hidden);
  return { g: mlp([dx, ...hidden, params.embed], 'relu', rng), h: mlp([dy, ...hidden, params.embed], 'relu', rng) };
}

/** S = g(x)·h(y)ᵀ for b rows each; keeps what the backward pass needs. */
export function criticScores(c: SeparableCritic, xb: Float64Array, yb: Float64Array, b: number): { s: Float64Array; gx: ReturnType<typeof mlpForward>; hy: ReturnType<typeof mlpForward> } {
  const gx = mlpForward(c.g, xb, b);
  const hy = mlpForward(c.h, yb, b);
  const e = c.g.layers[c.g.layers.length - 1].outDim;
  const s = new Float64Array(b * b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) {
    let v = 0;
    for (let t = 0; t < e; t++) v += gx.out[i * e + t] * hy.out[j * e + t];
    s[i * b + j] = v;
  }
  return { s, gx, hy };
}

/** Gradients of Σ dS_ij·S_ij with respect to the critic's parameters. */
export function criticBackward(c: SeparableCritic, fw: ReturnType<typeof criticScores>, dS: Float64Array, b: number, grad: SeparableCritic): void {
  const e = c.g.layers[c.g.layers.length - 1].outDim;
  const dG = new Float64Array(b * e);
  const dH = new Float64Array(b * e);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) {
    const d = dS[i * b + j];
    if (d === 0) continue;
    for (let t = 0; t < e; t++) {
      dG[i * e + t] += d * fw.hy.out[j * e + t];
      dH[j * e + t] += d * fw.gx.out[i * e + t];
    }
  }
  mlpBackward(c.g, fw.gx.inputs, b, dG, grad.g);
  mlpBackward(c.h, fw.hy.inputs, b, dH, grad.h);
}

export interface CriticFit {
  readonly critic: SeparableCritic;
  /** Training objective value per step (the bound being maximised, on the training batch). */
  readonly curve: Float64Array;
  /** Step after which the kept critic was taken (the last step without validation). */
  readonly bestStep: number;
}

/**
 * Train a separable critic on rows `idx` of standardised (x, y), keeping the critic with the best
 * mean bound on validation batches (when the rows allow at least one validation batch and a
 * training batch).
 */
export function trainCritic(objective: CriticObjective, x: Matrix, y: Matrix, rows: Int32Array, params: CriticParams, rng: Rng): CriticFit {
  const b = params.batchSize;
  if (rows.length < b) throw new RangeError(`${objective}: ${rows.length} training rows are fewer than the batch size ${b}`);
  const nVal = Math.floor(rows.length * params.valFraction);
  const validate = nVal >= b && rows.length - nVal >= b;
  const idx = validate ? rows.subarray(0, rows.length - nVal) : rows;
  const val = validate ? rows.subarray(rows.length - nVal) : null;
  const critic = separableCritic(x.cols, y.cols, params, rng);
  const all = [...mlpParams(critic.g), ...mlpParams(critic.h)];
  const adam = new Adam(all, params.lr);
  const logEma = new Float64Array([NaN]);
  const curve = new Float64Array(params.steps);
  const batch = new Int32Array(b);
  let best: { score: number; step: number; params: Float64Array[] | null } = { score: -Infinity, step: 0, params: null };
  for (let step = 0; step < params.steps; step++) {
    // A batch of b distinct rows (partial Fisher–Yates over idx).
    const pool = Int32Array.from(idx);
    for (let k = 0; k < b; k++) {
      const j = k + rng.int(pool.length - k);
      const t = pool[k]; pool[k] = pool[j]; pool[j] = t;
      batch[k] = pool[k];
    }
    const fw = criticScores(critic, gatherRows(x, batch), gatherRows(y, batch), b);
    curve[step] = objective === 'smile' ? jsFganValue(fw.s, b) : boundValue(objective, fw.s, b, params.tau);
    const dS = scoreGradient(objective, fw.s, b, params, logEma);
    const grad: SeparableCritic = { g: zeroGrad(critic.g), h: zeroGrad(critic.h) };
    criticBackward(critic, fw, dS, b, grad);
    // Decaying the rate at the end damps the step-to-step noise the kept critic inherits (1×1
    // Gaussian, n = 16,000, critic 2×64, 20 runs: bias of NWJ −0.0067 → −0.0029, MINE −0.0054 →
    // −0.0022, interval coverage 0.85 / 0.90 → 1.00 / 1.00), but decaying over all the steps
    // (cosine) starves hard tasks on a fixed budget: SMILE on the 20-d staircase fell from
    // −0.22 / +0.35 / +0.44 / +0.36 to −0.50 / −0.51 / −0.95 / −1.62 at I = 4 / 6 / 8 / 10.
    // 'final-decay' keeps the rate for three quarters of the steps.
    const scale = learningRateScale(params.schedule, step, params.steps);
    adam.step([...mlpParams(grad.g), ...mlpParams(grad.h)], scale);
    if (val && ((step + 1) % params.evalEvery === 0 || step + 1 === params.steps)) {
      const v = evaluateCritic(objective, critic, x, y, val, params);
      const score = v.reduce((a, t) => a + t, 0) / v.length;
      if (score > best.score) best = { score, step: step + 1, params: all.map((p) => Float64Array.from(p)) };
    }
  }
  if (best.params) all.forEach((p, k) => p.set(best.params![k]));
  return { critic, curve, bestStep: best.params ? best.step : params.steps };
}

/** The bound on consecutive disjoint batches of rows `idx` (a trailing partial batch is dropped). */
export function evaluateCritic(objective: CriticObjective, critic: SeparableCritic, x: Matrix, y: Matrix, idx: Int32Array, params: CriticParams): number[] {
  const b = params.batchSize;
  const values: number[] = [];
  for (let s = 0; s + b <= idx.length; s += b) {
    const fw = criticScores(critic, gatherRows(x, idx, s, s + b), gatherRows(y, idx, s, s + b), b);
    values.push(boundValue(objective, fw.s, b, params.tau));
  }
  return values;
}

/**
 * Each row's contribution to the bound on one evaluation batch of m rows, S = g(x)h(y)ᵀ, so that
 * the batch's bound is exactly the mean of its rows' terms:
 * - InfoNCE: t_i = S_ii − log Σ_j e^{S_ij} + log m (each row contrasts with all m rows).
 * - NWJ: t_i = S_ii − e⁻¹·mean_{j≠i} e^{S_ij}.
 * - MINE (DV) and SMILE: the log of the off-diagonal mean is linearised (delta method):
 *   with ℓ_i = log mean_{j≠i} e^{c(S_ij)} (c the SMILE clip, or none) and L = log mean_i e^{ℓ_i},
 *   t_i = S_ii − L − (e^{ℓ_i − L} − 1).
 * A row's y also enters the other rows' contrast sums; that influence, mean_i e^{f(x_i, y_k)}
 * relative to its average, is 1 for the optimal critic (E_x[p(x,y)/p(x)p(y)] = 1), so resampling
 * the terms as independent rows is right to first order near the optimum.
 * S is formed one row at a time: memory O(m), time O(m²·embed).
 */
export function heldOutTerms(objective: CriticObjective, gx: Float64Array, hy: Float64Array, m: number, e: number, tau = CRITIC_DEFAULTS.tau): Float64Array {
  const terms = new Float64Array(m);
  const row = new Float64Array(m);
  const clip = objective === 'smile' ? tau : Infinity;
  const logOff = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let v = 0;
      for (let t = 0; t < e; t++) v += gx[i * e + t] * hy[j * e + t];
      row[j] = v;
    }
    const diag = row[i];
    if (objective === 'infonce') {
      terms[i] = diag - logSumExp(row) + Math.log(m);
      continue;
    }
    row[i] = -Infinity; // out of the off-diagonal mean
    if (clip !== Infinity) for (let j = 0; j < m; j++) if (j !== i) row[j] = Math.max(-clip, Math.min(clip, row[j]));
    const l = logSumExp(row) - Math.log(m - 1);
    terms[i] = diag;
    logOff[i] = l;
  }
  if (objective === 'nwj') {
    for (let i = 0; i < m; i++) terms[i] -= Math.exp(logOff[i] - 1);
  } else if (objective !== 'infonce') {
    const big = logSumExp(logOff) - Math.log(m);
    for (let i = 0; i < m; i++) terms[i] -= big + Math.expm1(logOff[i] - big);
  }
  return terms;
}

/**
 * The bound on the held-out rows `idx`, split into ⌈|idx| / evalBatch⌉ near-equal batches (every
 * row used): per-row terms (mean = the estimate) and per-batch values.
 */
export function evaluateHeldOut(objective: CriticObjective, critic: SeparableCritic, x: Matrix, y: Matrix, idx: Int32Array, params: CriticParams): { terms: Float64Array; batches: number[] } {
  const n = idx.length;
  // Near-equal batches of at least 2 rows (the off-diagonal means need two).
  const count = Math.max(1, Math.min(Math.ceil(n / params.evalBatch), Math.floor(n / 2)));
  const terms = new Float64Array(n);
  const batches: number[] = [];
  const e = critic.g.layers[critic.g.layers.length - 1].outDim;
  for (let k = 0; k < count; k++) {
    const s = Math.floor((k * n) / count);
    const t = Math.floor(((k + 1) * n) / count);
    const m = t - s;
    const gx = mlpForward(critic.g, gatherRows(x, idx, s, t), m).out;
    const hy = mlpForward(critic.h, gatherRows(y, idx, s, t), m).out;
    const part = heldOutTerms(objective, gx, hy, m, e, params.tau);
    terms.set(part, s);
    batches.push(part.reduce((a, v) => a + v, 0) / m);
  }
  return { terms, batches };
}

/**
 * Defaults per objective. SMILE is run as Song & Ermon run it: it keeps its last critic (its
 * clipped estimate is not a bound, so picking the checkpoint with the best validation value
 * biases it: +0.90 at I = 8 on the 20-d staircase with selection, within ±0.5 without) and is
 * evaluated on batches of the training size, the setting its clip τ trades bias against variance
 * in (on batches of 3,333 held-out rows the staircase fell to −0.51 / −0.54 at I = 4 / 6), with a
 * constant learning rate (20-d staircase, 2 seeds: −0.22 / +0.35 / +0.44 / +0.36 at I = 4 / 6 / 8 /
 * 10; with 'final-decay' −0.31 / −0.11 / −0.11 / −0.56, with 'cosine' −0.50 / −0.51 / −0.95 / −1.62).
 */
export function criticDefaults(objective: CriticObjective, batchSize = CRITIC_DEFAULTS.batchSize): CriticParams {
  return objective === 'smile' ? { ...CRITIC_DEFAULTS, valFraction: 0, evalBatch: batchSize, schedule: 'constant' } : { ...CRITIC_DEFAULTS };
}

/** The parameters that apply to `objective` (τ only for SMILE, the EMA rate only for MINE), as a plain object. */
export function criticParamsShown(objective: CriticObjective, p: CriticParams): Record<string, number | string> {
  const shown: Record<string, number | string> = { ...p };
  if (objective !== 'smile') delete shown.tau;
  if (objective !== 'mine') delete shown.emaRate;
  return shown;
}

export function criticEstimator(objective: CriticObjective, params: Partial<CriticParams> = {}): MiEstimator {
  const p: CriticParams = { ...criticDefaults(objective, params.batchSize), ...params };
  for (const key of ['batchSize', 'steps', 'hidden', 'layers', 'embed'] as const) {
    if (!Number.isInteger(p[key]) || p[key] < 1) throw new RangeError(`${objective}: ${key} must be a positive integer, got ${p[key]}`);
  }
  if (p.batchSize < 2) throw new RangeError(`${objective}: batchSize must be at least 2`);
  if (!(p.lr > 0)) throw new RangeError(`${objective}: lr must be positive, got ${p.lr}`);
  if (!(p.testFraction > 0 && p.testFraction < 1)) throw new RangeError(`${objective}: testFraction must be in (0, 1), got ${p.testFraction}`);
  if (!(p.tau > 0)) throw new RangeError(`${objective}: tau must be positive, got ${p.tau}`);
  if (!(p.emaRate > 0 && p.emaRate <= 1)) throw new RangeError(`${objective}: emaRate must be in (0, 1], got ${p.emaRate}`);
  if (!(p.valFraction >= 0 && p.valFraction < 1)) throw new RangeError(`${objective}: valFraction must be in [0, 1), got ${p.valFraction}`);
  if (!Number.isInteger(p.evalEvery) || p.evalEvery < 1) throw new RangeError(`${objective}: evalEvery must be a positive integer, got ${p.evalEvery}`);
  if (!LR_SCHEDULES.includes(p.schedule)) throw new RangeError(`${objective}: schedule must be one of ${LR_SCHEDULES.join(', ')}; got ${String(p.schedule)}`);
  if (!Number.isInteger(p.evalBatch) || p.evalBatch < 2) throw new RangeError(`${objective}: evalBatch must be an integer ≥ 2, got ${p.evalBatch}`);
  return {
    name: objective,
    params: criticParamsShown(objective, p),
    async estimate(x: Matrix, y: Matrix, options: EstimateOptions = {}): Promise<MiEstimate> {
      checkPaired(x, y, objective);
      const n = x.rows;
      const nTest = Math.floor(n * p.testFraction);
      if (nTest < p.batchSize || n - nTest < p.batchSize) {
        throw new RangeError(`${objective}: ${n} rows split ${n - nTest}/${nTest} (testFraction ${p.testFraction}) leave fewer than batchSize ${p.batchSize} rows on one side`);
      }
      const rng = new Rng(options.seed ?? 0);
      const perm = rng.permutation(n);
      const train = perm.subarray(0, n - nTest);
      const testIdx = perm.subarray(n - nTest);
      // Standardise with the training rows' statistics only.
      const trainX = { rows: train.length, cols: x.cols, data: gatherRows(x, train) };
      const trainY = { rows: train.length, cols: y.cols, data: gatherRows(y, train) };
      const xs = applyStandardize(x, columnStats(trainX));
      const ys = applyStandardize(y, columnStats(trainY));
      const fit = trainCritic(objective, xs, ys, train, p, rng);
      const { terms, batches } = evaluateHeldOut(objective, fit.critic, xs, ys, testIdx, p);
      let mi = 0;
      for (let i = 0; i < terms.length; i++) mi += terms[i];
      mi /= terms.length;
      const reps = options.bootstrap ?? 0;
      const ci95 = reps > 0 ? bootstrapMean(terms, reps, (options.seed ?? 0) ^ 0x2545f491) : null;
      return { mi, ci95, ciMethod: ci95 ? 'bootstrap-heldout-rows' : 'none', n, dx: x.cols, dy: y.cols, batches };
    },
  };
}
