/**
 * Intervals for a proportion that keep their coverage at small n (win rates over 30–90 items),
 * where a percentile bootstrap of a proportion under-covers.
 */
import jStat from 'jstat';

/**
 * Wilson score interval (Wilson 1927): the p with |p̂ − p| ≤ z·√(p(1 − p)/n), i.e.
 * (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n). `successes` may be fractional (a tie
 * counted as ½, as LLaVA's summary does).
 */
export function wilsonInterval(successes: number, n: number, level = 0.95): [number, number] {
  if (!(Number.isFinite(n) && n > 0)) throw new RangeError(`n is ${n}, expected a positive number of trials`);
  if (!(successes >= 0 && successes <= n)) throw new RangeError(`successes is ${successes}, expected a number in [0, ${n}]`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level is ${level}, expected a number in (0, 1)`);
  const z = jStat.normal.inv(1 - (1 - level) / 2, 0, 1);
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
