/**
 * Power of a two-sided test of EMID ≠ 0 from a pilot run, by the normal approximation: the
 * estimate's standard error scales as 1/√n (a bootstrap SE measured at the pilot's n), so at
 * n samples per scenario SE(n) = SE_pilot·√(n_pilot/n), and an effect δ is detected with
 * power 1 − β at level α when δ ≥ (z_{1−α/2} + z_{1−β})·SE(n).
 */
import jStat from 'jstat';

export interface PowerOptions {
  /** Two-sided level α (default 0.05). */
  readonly alpha?: number;
  /** Target power 1 − β (default 0.8). */
  readonly power?: number;
}

function zSum(options: PowerOptions): number {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha is ${alpha}, expected a number in (0, 1)`);
  if (!(power > 0 && power < 1)) throw new RangeError(`power is ${power}, expected a number in (0, 1)`);
  return jStat.normal.inv(1 - alpha / 2, 0, 1) + jStat.normal.inv(power, 0, 1);
}

function checkPositive(value: number, what: string): void {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${what} is ${value}, expected a positive finite number`);
}

/** The smallest |effect| detected with the given power when the estimate's standard error is `se`. */
export function minimumDetectableEffect(se: number, options: PowerOptions = {}): number {
  checkPositive(se, 'standard error');
  return zSum(options) * se;
}

/**
 * Samples per scenario needed to detect |effect| with the given power, from a pilot's standard
 * error `sePilot` at `nPilot` samples: ⌈n_pilot·((z_{1−α/2} + z_{1−β})·SE_pilot/δ)²⌉.
 */
export function requiredSampleSize(sePilot: number, nPilot: number, effect: number, options: PowerOptions = {}): number {
  checkPositive(sePilot, 'pilot standard error');
  checkPositive(nPilot, 'pilot sample size');
  checkPositive(Math.abs(effect), 'effect size');
  const ratio = (zSum(options) * sePilot) / Math.abs(effect);
  return Math.ceil(nPilot * ratio * ratio);
}

/** Power of the two-sided level-α z test for a true effect δ with standard error se. */
export function powerAt(effect: number, se: number, alpha = 0.05): number {
  checkPositive(se, 'standard error');
  const z = jStat.normal.inv(1 - alpha / 2, 0, 1);
  const shift = Math.abs(effect) / se;
  return jStat.normal.cdf(shift - z, 0, 1) + jStat.normal.cdf(-shift - z, 0, 1);
}
