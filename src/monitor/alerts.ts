/**
 * Alerts that control false alarms over time: an alpha-spending rule across windows.
 *
 * H0 for window k: its rows come from the reference period's distribution. The k-th tested
 * window (k = 1, 2, …) may spend α_k = α / (k(k+1)) of the false-alarm budget; Σ_k α_k = α,
 * so by the union bound the probability of ANY false alarm over an unlimited run of stationary
 * windows is at most α, whatever the dependence between windows (they share R). α is split
 * equally between the two monitored statistics (EMID and the bound, Bonferroni).
 *
 * Per statistic s, the window's value is compared with its per-window null (M permutations of
 * the reference and window rows, window-stats.ts `permutationNull`): z = (s − mean₀)/sd₀. Under
 * H0 the observed value is exchangeable with the M permuted ones; with a normal null,
 * (s − mean₀)/(sd₀·√(1 + 1/M)) follows Student's t with M − 1 degrees of freedom (a
 * prediction interval for one more draw) — which reaches the tiny α_k that M permutations
 * alone cannot resolve (their p-value is at least 1/(M+1)). The window alerts when
 *   z ≥ t⁻¹_{M−1}(1 − α_k)·√(1 + 1/M)   and   s − mean₀ ≥ min_effect
 * (one-sided: only a worse EMID or a larger bound alerts; α_k from α/2 per statistic)
 * (the second condition is the practical threshold from the config). The normal-null
 * assumption is checked by measurement, not assumed away: bench/monitor-false-alarms.ts counts
 * alarms over stationary windows across seeds.
 */
import jStat from 'jstat';
import type { NullMoments } from './window-stats.js';

export type AlertStatistic = 'emid' | 'bound';

/** α_k = α/(k(k+1)) for the k-th tested window (1-based). */
export function spentAlpha(alpha: number, k: number): number {
  if (!(k >= 1) || !Number.isInteger(k)) throw new RangeError(`spentAlpha: k must be a positive integer, got ${k}`);
  return alpha / (k * (k + 1));
}

/** The z a statistic must reach to alert, at spending level a with an M-window null calibration. */
export function alertThreshold(a: number, m: number): number {
  if (!(m >= 3)) throw new RangeError(`alertThreshold: the null needs at least 3 permutations, got ${m}`);
  return (jStat.studentt.inv(1 - a, m - 1) as number) * Math.sqrt(1 + 1 / m);
}

export interface AlertDecision {
  readonly statistic: AlertStatistic;
  readonly value: number;
  readonly nullMean: number;
  readonly nullSd: number;
  readonly z: number;
  readonly threshold: number;
  /** α spent on this statistic at this window. */
  readonly alpha: number;
  readonly minEffect: number;
  readonly alert: boolean;
}

/** One statistic's decision at tested window k (α already split per statistic). */
export function decide(statistic: AlertStatistic, value: number, nul: NullMoments, calibrationWindows: number, alphaStat: number, k: number, minEffect: number): AlertDecision {
  const a = spentAlpha(alphaStat, k);
  const threshold = alertThreshold(a, calibrationWindows);
  const z = nul.sd > 0 ? (value - nul.mean) / nul.sd : value > nul.mean ? Infinity : 0;
  return { statistic, value, nullMean: nul.mean, nullSd: nul.sd, z, threshold, alpha: a, minEffect, alert: z >= threshold && value - nul.mean >= minEffect };
}
