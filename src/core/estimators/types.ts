/**
 * One interface for every mutual-information estimator (the shape of cbg-ethz/bmi): an
 * estimator is made from a plain config object and estimates I(X; Y) in nats between the
 * paired rows of two matrices. Trained estimators (critics, CLUB) fit on the same data first,
 * unless already fitted.
 */
import type { Matrix } from '../matrix.js';

/** How `ci95` was obtained. */
export type CiMethod =
  /** Percentile bootstrap over rows (resampled with replacement). */
  | 'bootstrap-rows'
  /** Normal interval from the spread of half-samples without replacement, rescaled by √(m/(n − m)): KSG, where bootstrap duplicates would act as zero-distance neighbours. */
  | 'subsampling-rows'
  /** Percentile bootstrap over the per-batch estimates of a trained estimator. */
  | 'bootstrap-batches'
  /** Percentile bootstrap over the held-out rows' contributions to a trained critic's bound (critic fixed). */
  | 'bootstrap-heldout-rows'
  | 'none';

export interface MiEstimate {
  /** Point estimate in nats. */
  readonly mi: number;
  /** 95 % interval, or null when not requested / not computable. */
  readonly ci95: readonly [number, number] | null;
  readonly ciMethod: CiMethod;
  readonly n: number;
  readonly dx: number;
  readonly dy: number;
  /** Per-batch values for batch-based estimators (mean = mi). */
  readonly batches?: readonly number[];
}

export interface EstimateOptions {
  /** Bootstrap replicates for the interval (0: no interval). Default 0. */
  readonly bootstrap?: number;
  /** Seed for noise, resampling and training. Default 0. */
  readonly seed?: number;
}

export interface MiEstimator {
  /** Estimator name, as on the command line. */
  readonly name: string;
  /** The parameters in effect (defaults filled in), as a plain JSON-able object. */
  readonly params: Readonly<Record<string, number | string | boolean>>;
  /** Estimate I(X; Y) between row i of x and row i of y. */
  estimate(x: Matrix, y: Matrix, options?: EstimateOptions): Promise<MiEstimate>;
}

export function checkPaired(x: Matrix, y: Matrix, who: string, minRows = 2): void {
  if (x.rows !== y.rows) throw new RangeError(`${who}: x has ${x.rows} rows, y has ${y.rows}; rows must be paired`);
  if (x.rows < minRows) throw new RangeError(`${who}: needs at least ${minRows} rows, got ${x.rows}`);
  if (x.cols < 1 || y.cols < 1) throw new RangeError(`${who}: x and y need at least one column each`);
}
