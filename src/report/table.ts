/**
 * Plain-text tables for the terminal: right-aligned numbers, left-aligned text; a column whose
 * numbers are all integers (counts) prints them as integers.
 */
export type Cell = string | number | null;

/** Format a number with `digits` significant decimals; null → "—". */
export function fmt(v: number | null | undefined, digits = 6): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toFixed(digits);
}

export function renderTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const integer = header.map((_, j) => rows.every((r) => typeof r[j] !== 'number' || Number.isInteger(r[j])));
  const text = rows.map((r) => r.map((c, j) => (c === null ? '—' : typeof c === 'number' ? (integer[j] ? String(c) : fmt(c)) : c)));
  const widths = header.map((h, j) => Math.max(h.length, ...text.map((r) => (r[j] ?? '').length)));
  const numeric = header.map((_, j) => rows.every((r) => r[j] === null || typeof r[j] === 'number'));
  const line = (cells: readonly string[]): string =>
    cells.map((c, j) => (numeric[j] ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}

/** A p-value for the terminal: "< 0.0001" below that, else 4 decimals; null → "—". */
export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return p < 1e-4 ? '< 0.0001' : p.toFixed(4);
}
