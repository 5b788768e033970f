/**
 * Number formatting for the HTML report: fixed decimals for estimates, short forms for
 * p-values, and "—" wherever a value is missing. Output is plain text (escape before use).
 */
import type { Interval } from './run-results.js';

/** `v` with `digits` decimals; null/undefined/non-finite → "—"; −0 prints as 0. Example: formatNumber(0.12345, 3) === '0.123'. */
export function formatNumber(v: number | null | undefined, digits: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/**
 * A p-value: three decimals down to 0.001, below that one significant digit in exponent form;
 * an exact 0 (the float64 tail underflowed) as "< 1e-16". Example: formatP(0.0423) === '0.042',
 * formatP(3.2e-5) === '3e-5', formatP(null) === '—'.
 */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  if (p === 0) return '< 1e-16';
  if (p < 0.001) return p.toExponential(0);
  return p.toFixed(3);
}

/** "p = 0.042", "p < 1e-16" or "p = —", for running text. */
export function pClause(p: number | null | undefined): string {
  const s = formatP(p);
  return s.startsWith('<') ? `p ${s}` : `p = ${s}`;
}

/** An interval as "[0.100, 0.150]"; null → "". */
export function formatInterval(ci: Interval | null | undefined, digits: number): string {
  return ci ? `[${formatNumber(ci[0], digits)}, ${formatNumber(ci[1], digits)}]` : '';
}
