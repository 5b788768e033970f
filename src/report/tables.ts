/**
 * The report's tables as data (columns that read a row), rendered three ways: a compact HTML
 * table (one line per scenario), CSV (RFC 4180, full float64 precision, intervals as _lo/_hi
 * columns, so the numbers parse back exactly) and LaTeX (booktabs: \toprule, \midrule,
 * \bottomrule; text escaped).
 */
import type { CorrelationSummary, Interval, RunResults, ScenarioResult } from './run-results.js';
import { escapeHtml } from './escape.js';
import { formatInterval, formatNumber, formatP } from './html-format.js';
import { correlationCi95 } from '../core/stats.js';
import { boundLooseness, gridKind, shortLabel } from './plots.js';

export type Value = string | number | boolean | null;

export interface Column<R> {
  /** Header text (plain; escaped per format). */
  readonly label: string;
  /** CSV header (snake-free, stable). */
  readonly key: string;
  readonly value: (row: R) => Value;
  /** A 95 % interval shown next to the value (CSV: `${key}_lo`, `${key}_hi`). */
  readonly ci?: (row: R) => Interval | null;
  /** Decimals in HTML and LaTeX; 'p' for p-values. */
  readonly digits?: number | 'p';
  /** Leave the interval out of the HTML table (kept in CSV and LaTeX), to keep it one line per row. */
  readonly ciInFilesOnly?: boolean;
  /** Leave the whole column out of the HTML table (e.g. n when it is the same everywhere; the note says so). */
  readonly inFilesOnly?: boolean;
}

export interface TableData<R = unknown> {
  /** File stem of the exports and id of the HTML table, e.g. "table-scenarios". */
  readonly id: string;
  readonly title: string;
  readonly columns: readonly Column<R>[];
  readonly rows: readonly R[];
  /** Rows shown bold (the ID set). */
  readonly emphasise?: (row: R) => boolean;
}

function shown(v: Value, digits: number | 'p' | undefined): string {
  if (v === null) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  return digits === 'p' ? formatP(v) : formatNumber(v, digits ?? 3);
}

/** The per-scenario table: one row per scenario, ID first, in the paper's order. */
export function scenarioTable(r: RunResults): TableData<ScenarioResult> {
  const judged = r.scenarios.some((s) => s.judge !== null);
  const hasTies = r.scenarios.some((s) => (s.judge?.ties ?? null) !== null);
  const hasJudgeP = r.scenarios.some((s) => (s.judge?.differencePValue ?? null) !== null);
  const simulated = r.scenarios.some((s) => s.simulatedAccuracy !== null);
  const grid = gridKind(r);
  const sameN = new Set(r.scenarios.map((s) => s.n)).size === 1;
  const cols: Column<ScenarioResult>[] = [
    { label: 'Scenario', key: 'scenario', value: (s) => s.name },
    { label: 'Label', key: 'label', value: (s) => shortLabel(s, grid) },
    { label: 'n', key: 'n', value: (s) => (r.run.source === 'authors' ? null : s.n), digits: 0, inFilesOnly: sameN },
    { label: 'EMI', key: 'EMI', value: (s) => s.emi, ci: (s) => s.emiCi95, digits: 4, ciInFilesOnly: true },
    { label: 'EMID', key: 'EMID', value: (s) => s.emid, ci: (s) => s.emidCi95, digits: 4 },
    { label: 'p (EMID≠0)', key: 'EMID_p', value: (s) => s.emidPValue, digits: 'p' },
    { label: 'p Holm', key: 'EMID_p_holm', value: (s) => s.emidPValueAdjusted?.holm ?? null, digits: 'p' },
    { label: 'p BH', key: 'EMID_p_bh', value: (s) => s.emidPValueAdjusted?.bh ?? null, digits: 'p' },
    { label: 'J_v', key: 'J_v', value: (s) => s.jsd?.visual ?? null, digits: 4 },
    { label: 'J_t', key: 'J_t', value: (s) => s.jsd?.text ?? null, digits: 4 },
    { label: 'J_Q', key: 'J_Q', value: (s) => s.jsd?.oodOutput ?? null, digits: 4 },
    { label: 'Bound', key: 'EMID_UB', value: (s) => s.bound, digits: 3 },
    { label: 'Bound/|EMID|', key: 'bound_over_abs_EMID', value: (s) => (s.bound !== null && s.emid !== null && s.emid !== 0 ? s.bound / Math.abs(s.emid) : null), digits: 0 },
    { label: 'Holds', key: 'bound_holds', value: (s) => s.boundHolds },
  ];
  if (judged) {
    cols.push(
      { label: 'RP (%)', key: 'relative_preference', value: (s) => s.judge?.relativePreference ?? null, ci: (s) => s.judge?.relativePreferenceCi95 ?? null, digits: 1 },
      { label: 'Win rate (%)', key: 'win_rate', value: (s) => s.judge?.winRate ?? null, ci: (s) => s.judge?.winRateCi95 ?? null, digits: 1, ciInFilesOnly: true },
      { label: 'Ties', key: 'judge_ties', value: (s) => s.judge?.ties ?? null, digits: 0, inFilesOnly: !hasTies },
      { label: 'p (judge≠ID)', key: 'judge_p', value: (s) => s.judge?.differencePValue ?? null, digits: 'p', inFilesOnly: !hasJudgeP },
      { label: 'p Holm (judge)', key: 'judge_p_holm', value: (s) => s.judge?.differencePValueAdjusted?.holm ?? null, digits: 'p', inFilesOnly: !hasJudgeP },
      { label: 'p BH (judge)', key: 'judge_p_bh', value: (s) => s.judge?.differencePValueAdjusted?.bh ?? null, digits: 'p', inFilesOnly: !hasJudgeP },
    );
  }
  if (simulated) cols.push({ label: 'Sim. accuracy', key: 'simulated_accuracy', value: (s) => s.simulatedAccuracy, digits: 3 });
  const hasJsd = r.scenarios.some((s) => s.jsd !== null);
  const hasP = r.scenarios.some((s) => s.emidPValue !== null);
  const hasAdjusted = r.scenarios.some((s) => s.emidPValueAdjusted !== null);
  const columns = cols.filter((c) => (hasJsd || !c.key.startsWith('J_')) && (hasP || c.key !== 'EMID_p') && (hasAdjusted || !c.key.startsWith('EMID_p_')));
  return { id: 'table-scenarios', title: 'Per-scenario results', columns, rows: r.scenarios, emphasise: (s) => s.modality === 'id' };
}

interface CorrelationRow { readonly pair: string; readonly c: CorrelationSummary }

/** The correlations across scenarios, with the Fisher-z 95 % intervals of r and ρ. */
export function correlationTable(r: RunResults): TableData<CorrelationRow> {
  const c = r.correlations;
  const rows = (
    [
      ['EMID vs upper bound (OOD)', c.emidVsBound],
      ['EMI vs relative preference', c.emiVsRelativePreference],
      ['EMI vs win rate', c.emiVsWinRate],
      ['EMI vs simulated accuracy', c.emiVsSimulatedAccuracy],
    ] as const
  ).flatMap(([pair, s]) => (s ? [{ pair, c: s }] : []));
  return {
    id: 'table-correlations',
    title: 'Correlations across scenarios',
    rows,
    columns: [
      { label: 'Pair', key: 'pair', value: (x) => x.pair },
      { label: 'n', key: 'n', value: (x) => x.c.n, digits: 0 },
      { label: 'Pearson r', key: 'pearson_r', value: (x) => x.c.pearson.r, ci: (x) => (x.c.pearson.r === null ? null : correlationCi95(x.c.pearson.r, x.c.n, 'pearson')), digits: 3 },
      { label: 'p', key: 'pearson_p', value: (x) => x.c.pearson.p, digits: 'p' },
      { label: 'Spearman ρ', key: 'spearman_rho', value: (x) => x.c.spearman.rho, ci: (x) => (x.c.spearman.rho === null ? null : correlationCi95(x.c.spearman.rho, x.c.n, 'spearman')), digits: 3 },
      { label: 'p', key: 'spearman_p', value: (x) => x.c.spearman.p, digits: 'p' },
      { label: 'Kendall τ', key: 'kendall_tau', value: (x) => x.c.kendall.tau, digits: 3 },
      { label: 'p', key: 'kendall_p', value: (x) => x.c.kendall.p, digits: 'p' },
    ],
  };
}

/** The compact HTML table: one line per row, intervals in brackets after the value. */
/** `shortName`: the first column shows the scenario name without "llava_bench_" (the full name on hover). */
export function tableHtml<R>(table: TableData<R>, opts: { shortName?: boolean } = {}): string {
  const t = { ...table, columns: table.columns.filter((c) => !c.inFilesOnly) };
  const head = t.columns.map((c) => `<th${c.digits !== undefined ? ' class="num"' : ''}>${escapeHtml(c.label)}</th>`).join('');
  const body = t.rows
    .map((row) => {
      const cells = t.columns.map((c, j) => {
        const v = c.value(row);
        const ci = c.ciInFilesOnly ? null : c.ci?.(row) ?? null;
        const text = escapeHtml(shown(v, c.digits));
        const interval = ci && v !== null ? ` <span class="ci">${escapeHtml(formatInterval(ci, typeof c.digits === 'number' ? c.digits : 3))}</span>` : '';
        const cls = typeof v === 'boolean' ? (v ? ' class="yes"' : ' class="no"') : c.digits !== undefined ? ' class="num"' : '';
        return j === 0 && opts.shortName ? `<td title="${text}">${escapeHtml(String(v).replace(/^llava_bench_/, ''))}</td>` : `<td${cls}>${text}${interval}</td>`;
      });
      return `<tr${t.emphasise?.(row) ? ' class="id-row"' : ''}>${cells.join('')}</tr>`;
    })
    .join('');
  return `<table id="${t.id}" class="compact"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function csvValue(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return csvField(String(v));
}

/** CSV: a header row of column keys, then full-precision values; empty for missing. */
export function tableCsv<R>(t: TableData<R>): string {
  const header = t.columns.flatMap((c) => (c.ci ? [c.key, `${c.key}_lo`, `${c.key}_hi`] : [c.key]));
  const lines = t.rows.map((row) =>
    t.columns
      .flatMap((c) => {
        const ci = c.ci?.(row) ?? null;
        const v = csvValue(c.value(row));
        return c.ci ? [v, ci ? String(ci[0]) : '', ci ? String(ci[1]) : ''] : [v];
      })
      .join(','),
  );
  return `${[header.map(csvField).join(','), ...lines].join('\r\n')}\r\n`;
}

const LATEX_SPECIALS: Readonly<Record<string, string>> = {
  '\\': '\\textbackslash{}',
  '{': '\\{',
  '}': '\\}',
  '_': '\\_',
  '%': '\\%',
  '&': '\\&',
  '#': '\\#',
  '$': '\\$',
  '^': '\\^{}',
  '~': '\\~{}',
  '|': '\\textbar{}',
  '<': '\\textless{}',
  '>': '\\textgreater{}',
};

/** Escape text for LaTeX; the Greek letters and symbols of the headers become math. */
export function latexEscape(text: string): string {
  return text
    .replace(/[\\{}_%&#$^~|<>]/g, (c) => LATEX_SPECIALS[c])
    .replace(/ρ/g, '$\\rho$')
    .replace(/τ/g, '$\\tau$')
    .replace(/≤/g, '$\\le$')
    .replace(/≠/g, '$\\neq$')
    .replace(/×/g, '$\\times$')
    .replace(/·/g, '\\textperiodcentered{}')
    .replace(/—/g, '--')
    .replace(/−/g, '-');
}

/** A booktabs `tabular` (needs \usepackage{booktabs}); numbers right-aligned, intervals in brackets. */
export function tableLatex<R>(t: TableData<R>): string {
  const spec = t.columns.map((c) => (c.digits !== undefined ? 'r' : 'l')).join('');
  const head = t.columns.map((c) => latexEscape(c.label)).join(' & ');
  const body = t.rows.map((row) =>
    t.columns
      .map((c) => {
        const v = c.value(row);
        const ci = c.ci?.(row) ?? null;
        const text = latexEscape(shown(v, c.digits));
        const cell = ci && v !== null ? `${text} {\\scriptsize ${latexEscape(formatInterval(ci, typeof c.digits === 'number' ? c.digits : 3))}}` : text;
        return t.emphasise?.(row) ? `\\textbf{${cell}}` : cell;
      })
      .join(' & ') + ' \\\\',
  );
  return [
    `% ${t.title} — written by mllmshift; needs \\usepackage{booktabs}`,
    `\\begin{tabular}{${spec}}`,
    '\\toprule',
    `${head} \\\\`,
    '\\midrule',
    ...body,
    '\\bottomrule',
    '\\end{tabular}',
    '',
  ].join('\n');
}

/** "EMID ≤ bound in 34 of 34 OOD scenarios; median bound/|EMID| = 87× (range 9×–2,000×)" as plain text. */
export function loosenessText(r: RunResults): string {
  const ood = r.scenarios.filter((s) => s.boundHolds !== null);
  const held = ood.filter((s) => s.boundHolds === true).length;
  const l = boundLooseness(r);
  const ratio = l ? `; the bound is ${formatNumber(l.median, 0)}× |EMID| at the median (range ${formatNumber(l.min, 0)}×–${formatNumber(l.max, 0)}×)` : '';
  return `EMID ≤ bound in ${held} of ${ood.length} OOD scenario${ood.length === 1 ? '' : 's'}${ratio}`;
}
