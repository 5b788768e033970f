/**
 * Correlation statistics with two-sided p-values, for the EMID-vs-bound and EMI-vs-judge
 * analyses. Results are `null` where a statistic is undefined (n too small, zero variance),
 * never NaN.
 *
 * - Pearson r; p from Student's t with n − 2 df: t = r·√((n − 2)/(1 − r²)) (as scipy.stats.pearsonr).
 * - Spearman ρ: Pearson r of mid-ranks (ties averaged); p from the same t approximation (as scipy).
 * - Kendall τ-b: (P − Q)/√((n0 − n1)(n0 − n2)) with tie corrections; p from the normal
 *   approximation with the tie-corrected variance (scipy's method='asymptotic').
 */
import jStat from 'jstat';

export interface Correlation {
  readonly statistic: number | null;
  readonly pValue: number | null;
  readonly n: number;
}

function check(x: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  if (x.length !== y.length) throw new RangeError(`${what}: x has ${x.length} values, y has ${y.length}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw new RangeError(`${what}: non-finite value at index ${i}`);
  }
}

function pearsonR(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const n = x.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

function tPValue(r: number, n: number): number | null {
  if (n < 3) return null;
  if (Math.abs(r) === 1) return 0;
  const df = n - 2;
  const t = r * Math.sqrt(df / (1 - r * r));
  return Math.min(1, 2 * (1 - jStat.studentt.cdf(Math.abs(t), df)));
}

/** Pearson's r with a two-sided p-value. Example: pearson([1,2,3,4],[1,3,2,4]).statistic = 0.8. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): Correlation {
  check(x, y, 'pearson');
  const r = pearsonR(x, y);
  return { statistic: r, pValue: r === null ? null : tPValue(r, x.length), n: x.length };
}

/** Mid-ranks (1-based, ties share their average rank). */
export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]] === v[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[idx[k]] = r;
    i = j + 1;
  }
  return out;
}

/** Spearman's ρ with a two-sided p-value (t approximation). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): Correlation {
  check(x, y, 'spearman');
  const r = pearsonR(ranks(x), ranks(y));
  return { statistic: r, pValue: r === null ? null : tPValue(r, x.length), n: x.length };
}

/** Kendall's τ-b with a two-sided p-value (normal approximation with tie correction). O(n²). */
export function kendall(x: ArrayLike<number>, y: ArrayLike<number>): Correlation {
  check(x, y, 'kendall');
  const n = x.length;
  if (n < 2) return { statistic: null, pValue: null, n };
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0 && dy === 0) { tiesX++; tiesY++; }
      else if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const denom = Math.sqrt((n0 - tiesX) * (n0 - tiesY));
  if (denom === 0) return { statistic: null, pValue: null, n };
  const tau = (concordant - discordant) / denom;
  // Tie-corrected variance of S = P − Q (Kendall 1970; scipy.stats.kendalltau, asymptotic).
  const groups = (v: ArrayLike<number>): number[] => {
    const s = Array.from(v).sort((a, b) => a - b);
    const out: number[] = [];
    let i = 0;
    while (i < s.length) {
      let j = i;
      while (j + 1 < s.length && s[j + 1] === s[i]) j++;
      if (j > i) out.push(j - i + 1);
      i = j + 1;
    }
    return out;
  };
  const tx = groups(x);
  const ty = groups(y);
  const sum = (g: number[], f: (t: number) => number): number => g.reduce((a, t) => a + f(t), 0);
  const v0 = n * (n - 1) * (2 * n + 5);
  const vt = sum(tx, (t) => t * (t - 1) * (2 * t + 5));
  const vu = sum(ty, (t) => t * (t - 1) * (2 * t + 5));
  const v1 = sum(tx, (t) => t * (t - 1)) * sum(ty, (t) => t * (t - 1));
  const v2 = sum(tx, (t) => t * (t - 1) * (t - 2)) * sum(ty, (t) => t * (t - 1) * (t - 2));
  const varS = (v0 - vt - vu) / 18 + v1 / (2 * n * (n - 1)) + v2 / (9 * n * (n - 1) * (n - 2));
  const s = concordant - discordant;
  const pValue = varS > 0 ? Math.min(1, 2 * (1 - jStat.normal.cdf(Math.abs(s) / Math.sqrt(varS), 0, 1))) : null;
  return { statistic: tau, pValue, n };
}

/**
 * 95 % interval of a correlation from Fisher's z = atanh(r): tanh(z ± 1.959964·se), with
 * se = 1/√(n − 3) for Pearson r and se = √((1 + ρ²/2)/(n − 3)) for Spearman ρ (Bonett &
 * Wright 2000). null when n < 4. Example: correlationCi95(0.5, 28, 'pearson') ≈ [0.1560, 0.7358].
 */
export function correlationCi95(r: number, n: number, kind: 'pearson' | 'spearman'): [number, number] | null {
  if (n < 4 || !Number.isFinite(r)) return null;
  const z = Math.atanh(Math.max(-1, Math.min(1, r)));
  const se = kind === 'pearson' ? 1 / Math.sqrt(n - 3) : Math.sqrt((1 + (r * r) / 2) / (n - 3));
  return [Math.tanh(z - 1.959963984540054 * se), Math.tanh(z + 1.959963984540054 * se)];
}
