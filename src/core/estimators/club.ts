/**
 * CLUB as an estimator of I(X; Y) (Cheng et al. 2020): fit q(y|x) by maximum likelihood
 * (club-train.ts) on one part of the rows, then evaluate (E7) on disjoint batches of the rest.
 * CLUB is an upper bound when q is the true conditional; with q = p(y|x) on a Gaussian task,
 * E[CLUB] = d·(e^{2I/d} − 1)·(1 − 1/B) for d pairs of equal correlation, so it is loose when
 * the dependence is strong (see `clubGaussianExpectation`).
 */
import { clubForward, clubFromMoments, type ClubMoments, type ClubNetwork } from '../club.js';
import { bootstrapMean } from '../bootstrap.js';
import type { Matrix } from '../matrix.js';
import { Rng } from '../random.js';
import { gatherRows } from './mlp.js';
import { CLUB_TRAIN_DEFAULTS, jsClubBackend, trainClub, type ClubBackend, type ClubShape, type ClubVariant } from './club-train.js';
import { checkPaired, type EstimateOptions, type MiEstimate, type MiEstimator } from './types.js';

/**
 * Expected CLUB value (E7, batch B) when q(y|x) is the true conditional of d standardised
 * coordinate pairs each with correlation ρ, total MI I = −(d/2)·log(1 − ρ²):
 * d·(e^{2I/d} − 1)·(1 − 1/B).
 */
export function clubGaussianExpectation(mi: number, d: number, batch: number): number {
  return d * (Math.exp((2 * mi) / d) - 1) * (1 - 1 / batch);
}

/** CLUB on consecutive disjoint batches of `rows` (the trailing partial batch dropped). */
export async function clubBatchValues(x: Matrix, y: Matrix, rows: Int32Array, batch: number, moments: (x: Matrix) => ClubMoments | Promise<ClubMoments>): Promise<number[]> {
  const values: number[] = [];
  for (let s = 0; s + batch <= rows.length; s += batch) {
    const xb = { rows: batch, cols: x.cols, data: gatherRows(x, rows, s, s + batch) };
    const yb = { rows: batch, cols: y.cols, data: gatherRows(y, rows, s, s + batch) };
    values.push(clubFromMoments(await moments(xb), yb));
  }
  return values;
}

export interface ClubEstimatorParams {
  readonly variant: ClubVariant;
  readonly hidden: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly patience: number;
  /** Rows per CLUB evaluation batch. Default 256. */
  readonly evalBatch: number;
  /** Share of rows held out for evaluation. Default 0.5. */
  readonly testFraction: number;
}

export const CLUB_ESTIMATOR_DEFAULTS: ClubEstimatorParams = {
  variant: 'calibrated', hidden: 64, epochs: 200, batchSize: 128, lr: 1e-3, patience: 20, evalBatch: 256, testFraction: 0.5,
};

export interface ClubEstimatorHooks {
  /** Training backend; the plain-JS float64 one by default (accel/ has the onnxruntime one). */
  readonly backend?: (shape: ClubShape) => ClubBackend | Promise<ClubBackend>;
  /** Forward for evaluation; the plain-JS one by default. */
  readonly moments?: (net: ClubNetwork) => Promise<(x: Matrix) => ClubMoments | Promise<ClubMoments>>;
}

export function clubEstimator(params: Partial<ClubEstimatorParams> = {}, hooks: ClubEstimatorHooks = {}): MiEstimator {
  const p: ClubEstimatorParams = { ...CLUB_ESTIMATOR_DEFAULTS, ...params };
  if (p.variant !== 'paper' && p.variant !== 'calibrated') throw new RangeError(`club: variant must be "paper" or "calibrated", got "${p.variant}"`);
  if (!Number.isInteger(p.evalBatch) || p.evalBatch < 2) throw new RangeError(`club: evalBatch must be an integer ≥ 2, got ${p.evalBatch}`);
  if (!(p.testFraction > 0 && p.testFraction < 1)) throw new RangeError(`club: testFraction must be in (0, 1), got ${p.testFraction}`);
  return {
    name: 'club',
    params: { ...p },
    async estimate(x: Matrix, y: Matrix, options: EstimateOptions = {}): Promise<MiEstimate> {
      checkPaired(x, y, 'club');
      const seed = options.seed ?? 0;
      const n = x.rows;
      const nTest = Math.floor(n * p.testFraction);
      if (nTest < p.evalBatch) throw new RangeError(`club: ${nTest} held-out rows are fewer than evalBatch ${p.evalBatch}`);
      const perm = new Rng(seed).permutation(n);
      const train = perm.slice(0, n - nTest);
      const test = perm.slice(n - nTest);
      const sub = (m: Matrix, idx: Int32Array): Matrix<Float64Array> => ({ rows: idx.length, cols: m.cols, data: gatherRows(m, idx) });
      const fit = await trainClub(sub(x, train), sub(y, train), {
        hidden: p.hidden, epochs: p.epochs, batchSize: p.batchSize, lr: p.lr, patience: p.patience, variant: p.variant, valFraction: CLUB_TRAIN_DEFAULTS.valFraction, seed,
      }, hooks.backend ?? jsClubBackend);
      const moments = hooks.moments ? await hooks.moments(fit.network) : (m: Matrix) => clubForward(fit.network, m);
      const batches = await clubBatchValues(x, y, test, p.evalBatch, moments);
      const mi = batches.reduce((a, v) => a + v, 0) / batches.length;
      const reps = options.bootstrap ?? 0;
      const ci95 = reps > 0 && batches.length >= 2 ? bootstrapMean(batches, reps, seed ^ 0x2545f491) : null;
      return { mi, ci95, ciMethod: ci95 ? 'bootstrap-batches' : 'none', n, dx: x.cols, dy: y.cols, batches };
    },
  };
}
