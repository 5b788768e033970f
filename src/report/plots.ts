/**
 * The report's figures, drawn with @observablehq/plot on a linkedom document (no browser).
 * Each figure is a list of SVG parts (the plot, then its legend) that the page inlines and
 * `report --export` stacks into one standalone SVG (export.ts):
 *
 * - EMI (E1) against the judge's relative preference score (or the demo's simulated accuracy);
 * - EMID (E2) against its upper bound (E3), each on its own scale, with the least-squares line,
 *   Pearson r and Spearman ρ with their 95 % intervals, and direct labels that skip any label
 *   that would overlap (every scenario is named in the next figure);
 * - EMID per scenario with its interval, ordered by bound, on EMID's own scale (on the bound's
 *   scale EMID is a flat line at zero), with the bound and bound/|EMID| written beside it;
 * - EMID over the shift grid in the paper's order, with the grid's own axis titles;
 * - the JSD terms per scenario with their null baseline.
 *
 * EMI and EMID of the paper's estimator are a monotone score, not calibrated nats (DESIGN.md §2
 * "Calibration"): the axes say which (`run.emiUnit`). Each function returns null when there is
 * nothing to draw. Text inside the SVG is escaped by the DOM serialiser.
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { CorrelationSummary, RunResults, ScenarioResult } from './run-results.js';
import { formatInterval, formatNumber, pClause } from './html-format.js';
import { escapeHtml } from './escape.js';
import { correlationCi95 } from '../core/stats.js';

type PlotDocument = NonNullable<Plot.PlotOptions['document']>;

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** One SVG element of a figure, with its size in pixels. */
export interface SvgPart {
  readonly markup: string;
  readonly width: number;
  readonly height: number;
}

/** A drawn figure: its parts, top to bottom. */
export interface Drawn {
  readonly parts: readonly SvgPart[];
  /** Points that carry a direct label (scatter plots). */
  readonly labelled?: number;
}

/** Colours of the scenario kinds in the EMI scatter. */
const MODALITY_COLORS: Readonly<Record<ScenarioResult['modality'], string>> = {
  id: '#222222',
  visual: '#1f77b4',
  text: '#e07b00',
  joint: '#8e44ad',
};
const MODALITY_LABELS: Readonly<Record<ScenarioResult['modality'], string>> = {
  id: 'ID',
  visual: 'visual shift',
  text: 'text shift',
  joint: 'visual + text shift',
};

/** Colours of the JSD terms. */
const JSD_COLORS = { visual: '#4e79a7', text: '#f28e2b', output: '#59a14f' } as const;

/** The class of every plot's own SVG element (legends are separate, smaller SVGs). */
export const PLOT_CLASS = 'mllmshift-plot';

/** An Observable Plot figure as one SVG part (linkedom document, no browser); also used by the monitor dashboard. */
export function renderPlot(options: Plot.PlotOptions & { width: number; height: number }): SvgPart {
  const { document } = parseHTML('<!DOCTYPE html><html><head></head><body></body></html>');
  const el = Plot.plot({ ...options, className: PLOT_CLASS, document: document as unknown as PlotDocument, style: { fontFamily: FONT, fontSize: '12px', overflow: 'visible' } });
  return { markup: el.outerHTML, width: options.width, height: options.height };
}

/** EMI's unit on an axis: the paper's estimator gives a monotone score, not nats. */
export function emiUnitLabel(r: RunResults): string {
  return r.run.emiUnit === 'nats' ? 'nats' : 'CLUB score, not calibrated nats';
}

/** Least-squares line y = a + b·x, or null when x has no spread (fewer than 2 distinct values). */
export function leastSquares(x: readonly number[], y: readonly number[]): { intercept: number; slope: number } | null {
  const n = x.length;
  if (n < 2 || y.length !== n) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) { sxx += (x[i] - mx) ** 2; sxy += (x[i] - mx) * (y[i] - my); }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/** "Pearson r = 0.876 [0.744, 0.942] (p = 2e-9), Spearman ρ = 0.80 [..], n = 27" as plain text. */
export function correlationText(c: CorrelationSummary | null): string {
  if (!c || c.pearson.r === null) return 'Pearson r not defined (too few scenarios or no spread)';
  const pr = formatInterval(correlationCi95(c.pearson.r, c.n, 'pearson'), 3);
  const sr = c.spearman.rho === null ? '' : formatInterval(correlationCi95(c.spearman.rho, c.n, 'spearman'), 3);
  const rho = c.spearman.rho === null ? '' : `, Spearman ρ = ${formatNumber(c.spearman.rho, 3)}${sr ? ` ${sr}` : ''}`;
  return `Pearson r = ${formatNumber(c.pearson.r, 3)}${pr ? ` ${pr}` : ''} (${pClause(c.pearson.p)})${rho}, n = ${c.n}`;
}

/** What the EMI scatter puts on its y axis. */
export interface OutcomeChoice {
  readonly kind: 'relativePreference' | 'simulatedAccuracy';
  readonly label: string;
  readonly correlation: CorrelationSummary | null;
}

/** Relative preference when any scenario was judged, else the simulated accuracy, else null. */
export function chooseOutcome(r: RunResults): OutcomeChoice | null {
  if (r.scenarios.some((s) => s.judge !== null)) {
    return { kind: 'relativePreference', label: 'Relative preference score (%)', correlation: r.correlations.emiVsRelativePreference };
  }
  if (r.scenarios.some((s) => s.simulatedAccuracy !== null)) {
    return { kind: 'simulatedAccuracy', label: 'Simulated accuracy', correlation: r.correlations.emiVsSimulatedAccuracy };
  }
  return null;
}

/** Which of the paper's grids the scenarios come from (by their shift labels). */
export type GridKind = 'synthetic' | 'natural' | 'custom';

export function gridKind(r: RunResults): GridKind {
  const natural = r.scenarios.some((s) => (s.textShift !== null && s.textSeverity === null) || (s.visualShift ?? '').startsWith('in_the_wild'));
  if (natural) return 'natural';
  return r.scenarios.some((s) => s.visualShift !== null || s.textShift !== null) ? 'synthetic' : 'custom';
}

const LANGUAGE_CODES: Readonly<Record<string, string>> = { English: 'en', German: 'de', Chinese: 'zh', Korean: 'ko', Greek: 'el', Arabic: 'ar', Hindi: 'hi' };
const SHIFT_CODES: Readonly<Record<string, string>> = { defocus_blur: 'DB', frost: 'FR', sr: 'SR', KeyboardAug: 'KB' };

function code(shift: string): string {
  return SHIFT_CODES[shift] ?? shift.split(/_|(?=[A-Z])/).filter(Boolean).map((w) => w[0].toUpperCase()).join('');
}

/**
 * A short label for a scenario, for direct labelling: "DB3+SR7", "FR5", "ID" on the synthetic
 * grid; "easy·de", "coco·ko" on the natural grid; a custom name cut to 16 characters.
 */
export function shortLabel(s: ScenarioResult, grid: GridKind): string {
  if (grid === 'natural') {
    const v = s.visualShift?.startsWith('in_the_wild_') ? s.visualShift.slice('in_the_wild_'.length) : s.visualShift === null ? 'coco' : `${code(s.visualShift)}${s.visualSeverity ?? ''}`;
    const t = s.textShift === null ? '' : s.textSeverity === null ? LANGUAGE_CODES[s.textShift] ?? s.textShift.slice(0, 2).toLowerCase() : `${code(s.textShift)}${s.textSeverity}`;
    return t ? `${v}·${t}` : v;
  }
  if (s.visualShift === null && s.textShift === null) return s.modality === 'id' ? 'ID' : s.name.length > 16 ? `${s.name.slice(0, 15)}…` : s.name;
  const parts = [s.visualShift === null ? '' : `${code(s.visualShift)}${s.visualSeverity ?? ''}`, s.textShift === null ? '' : `${code(s.textShift)}${s.textSeverity ?? ''}`];
  return parts.filter(Boolean).join('+');
}

/** A row of colour swatches with labels, as SVG (Plot's swatch legend is HTML). */
function swatchLegend(items: readonly { label: string; color: string }[], title?: string): SvgPart {
  let x = 8;
  const y = title ? 30 : 12;
  const cells = items
    .map((it) => {
      const cell = `<rect x="${x}" y="${y - 9}" width="12" height="12" rx="2" fill="${it.color}"/><text x="${x + 17}" y="${y + 1}">${escapeHtml(it.label)}</text>`;
      x += 30 + 6.8 * it.label.length;
      return cell;
    })
    .join('');
  const width = Math.ceil(Math.max(x, title ? 16 + 6.8 * title.length : 0));
  const height = y + 10;
  const head = title ? `<text x="8" y="12" font-weight="600">${escapeHtml(title)}</text>` : '';
  return {
    markup: `<svg class="swatch-legend" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family='${FONT}' font-size="12" fill="currentColor" role="img" aria-label="legend">${head}${cells}</svg>`,
    width,
    height,
  };
}

function modalityLegend(present: readonly ScenarioResult[]): { scale: Plot.ScaleOptions; legend: SvgPart } {
  const kinds = (Object.keys(MODALITY_COLORS) as ScenarioResult['modality'][]).filter((k) => present.some((s) => s.modality === k));
  return {
    scale: { domain: kinds.map((k) => MODALITY_LABELS[k]), range: kinds.map((k) => MODALITY_COLORS[k]) },
    legend: swatchLegend(kinds.map((k) => ({ label: MODALITY_LABELS[k], color: MODALITY_COLORS[k] }))),
  };
}

/** [lo, hi] with 6 % padding each side (and a unit span when lo = hi). */
function padded(lo: number, hi: number): [number, number] {
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - 0.06 * span, hi + 0.06 * span];
}

interface LabelBox { readonly x0: number; readonly x1: number; readonly y0: number; readonly y1: number }

type Placement = 'right' | 'left' | 'above' | 'below';

/**
 * Greedy direct labelling: each point (in the given order) takes the first of right, left,
 * above, below whose text box stays in the frame and overlaps no placed label and no point;
 * a label with no free place is left out (null). Character width 6.3 px at 11 px type.
 */
export function placeLabels(points: readonly { px: number; py: number; label: string }[], frame: LabelBox, r = 5): (Placement | null)[] {
  const placed: LabelBox[] = [];
  const dots: LabelBox[] = points.map((p) => ({ x0: p.px - r, x1: p.px + r, y0: p.py - r, y1: p.py + r }));
  const hits = (a: LabelBox, b: LabelBox): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  return points.map((p) => {
    const w = 6.3 * p.label.length;
    const h = 11;
    const boxes: [Placement, LabelBox][] = [
      ['right', { x0: p.px + 7, x1: p.px + 7 + w, y0: p.py - h / 2, y1: p.py + h / 2 }],
      ['left', { x0: p.px - 7 - w, x1: p.px - 7, y0: p.py - h / 2, y1: p.py + h / 2 }],
      ['above', { x0: p.px - w / 2, x1: p.px + w / 2, y0: p.py - 7 - h, y1: p.py - 7 }],
      ['below', { x0: p.px - w / 2, x1: p.px + w / 2, y0: p.py + 7, y1: p.py + 7 + h }],
    ];
    for (const [where, b] of boxes) {
      const inside = b.x0 >= frame.x0 && b.x1 <= frame.x1 && b.y0 >= frame.y0 && b.y1 <= frame.y1;
      if (inside && !placed.some((q) => hits(q, b)) && !dots.some((d) => hits(d, b))) {
        placed.push(b);
        return where;
      }
    }
    return null;
  });
}

const PLACEMENT_OFFSETS: Readonly<Record<Placement, { dx: number; dy: number; textAnchor: 'start' | 'end' | 'middle' }>> = {
  right: { dx: 7, dy: 0, textAnchor: 'start' },
  left: { dx: -7, dy: 0, textAnchor: 'end' },
  above: { dx: 0, dy: -12, textAnchor: 'middle' },
  below: { dx: 0, dy: 12, textAnchor: 'middle' },
};

interface LabelledPoint { readonly x: number; readonly y: number; readonly label: string }

/** Text marks for the labels of `rows` that placeLabels could place, on linear x/y domains. */
function directLabels(rows: readonly LabelledPoint[], xd: readonly [number, number], yd: readonly [number, number], frame: LabelBox): { marks: Plot.Markish[]; placed: number } {
  const px = (x: number): number => frame.x0 + ((x - xd[0]) / (xd[1] - xd[0])) * (frame.x1 - frame.x0);
  const py = (y: number): number => frame.y1 - ((y - yd[0]) / (yd[1] - yd[0])) * (frame.y1 - frame.y0);
  // Points far from the centre first: the outliers are the ones a reader asks about.
  const cx = rows.reduce((a, d) => a + px(d.x), 0) / rows.length;
  const cy = rows.reduce((a, d) => a + py(d.y), 0) / rows.length;
  const order = rows.map((d, i) => ({ d, i, far: (px(d.x) - cx) ** 2 + (py(d.y) - cy) ** 2 })).sort((a, b) => b.far - a.far);
  const where = placeLabels(order.map(({ d }) => ({ px: px(d.x), py: py(d.y), label: d.label })), frame);
  const marks = (Object.keys(PLACEMENT_OFFSETS) as Placement[]).map((p) =>
    Plot.text(order.filter((_, k) => where[k] === p).map(({ d }) => d), { x: 'x', y: 'y', text: 'label', fontSize: 11, fill: '#333', ...PLACEMENT_OFFSETS[p] }),
  );
  return { marks, placed: where.filter((w) => w !== null).length };
}

/** EMI against relative preference (or simulated accuracy), fit line, correlation. */
export function emiScatterSvg(r: RunResults): Drawn | null {
  const outcome = chooseOutcome(r);
  if (!outcome) return null;
  const grid = gridKind(r);
  const rows = r.scenarios.flatMap((s) => {
    const y = outcome.kind === 'relativePreference' ? s.judge?.relativePreference : s.simulatedAccuracy;
    if (y === null || y === undefined) return [];
    const yCi = outcome.kind === 'relativePreference' ? s.judge?.relativePreferenceCi95 ?? null : null;
    return [{ name: s.name, label: shortLabel(s, grid), kind: MODALITY_LABELS[s.modality], x: s.emi, y, xCi: s.emiCi95, yCi }];
  });
  if (rows.length === 0) return null;
  const fit = leastSquares(rows.map((d) => d.x), rows.map((d) => d.y));
  const xd = padded(Math.min(...rows.flatMap((d) => (d.xCi ? [d.x, d.xCi[0]] : [d.x]))), Math.max(...rows.flatMap((d) => (d.xCi ? [d.x, d.xCi[1]] : [d.x]))));
  const yd = padded(Math.min(...rows.flatMap((d) => (d.yCi ? [d.y, d.yCi[0]] : [d.y]))), Math.max(...rows.flatMap((d) => (d.yCi ? [d.y, d.yCi[1]] : [d.y]))));
  const W = 560;
  const H = 430;
  const m = { top: 34, right: 20, bottom: 48, left: 62 };
  const marks: Plot.Markish[] = [
    Plot.frame({ stroke: '#ccc' }),
    Plot.ruleY(rows.filter((d) => d.xCi), { y: 'y', x1: (d) => d.xCi[0], x2: (d) => d.xCi[1], stroke: '#aaa', strokeWidth: 1 }),
    Plot.ruleX(rows.filter((d) => d.yCi), { x: 'x', y1: (d) => d.yCi[0], y2: (d) => d.yCi[1], stroke: '#aaa', strokeWidth: 1 }),
  ];
  if (fit) marks.push(Plot.line(xd.map((x) => ({ x, y: fit.intercept + fit.slope * x })), { x: 'x', y: 'y', stroke: '#c0392b', strokeWidth: 1.5, strokeDasharray: '6,4', clip: true }));
  const labels = directLabels(rows, xd, yd, { x0: m.left, x1: W - m.right, y0: m.top, y1: H - m.bottom });
  marks.push(
    Plot.dot(rows, { x: 'x', y: 'y', fill: 'kind', r: 4.5, stroke: 'white', strokeWidth: 1, title: (d) => `${d.name}\nEMI ${formatNumber(d.x, 4)}\n${outcome.label} ${formatNumber(d.y, 3)}` }),
    ...labels.marks,
    Plot.text([correlationText(outcome.correlation)], { frameAnchor: 'top-left', dy: -22, textAnchor: 'start', fontSize: 12 }),
  );
  const color = modalityLegend(r.scenarios.filter((s) => rows.some((d) => d.name === s.name)));
  const plot = renderPlot({
    width: W, height: H, marginLeft: m.left, marginBottom: m.bottom, marginTop: m.top, marginRight: m.right, grid: true,
    x: { domain: xd, label: `EMI (${emiUnitLabel(r)})`, labelAnchor: 'center', labelArrow: 'none' },
    y: { domain: yd, label: outcome.label, labelAnchor: 'center', labelArrow: 'none' },
    color: color.scale,
    marks,
  });
  return { parts: [plot, color.legend], labelled: labels.placed };
}

function emidBoundRows(r: RunResults): { name: string; label: string; x: number; y: number; ci: ScenarioResult['emidCi95']; holds: boolean }[] {
  const grid = gridKind(r);
  return r.scenarios.flatMap((s) => (s.emid !== null && s.bound !== null ? [{ name: s.name, label: shortLabel(s, grid), x: s.bound, y: s.emid, ci: s.emidCi95, holds: s.emid <= s.bound }] : []));
}

/**
 * How loose the bound is: bound/|EMID| over the OOD scenarios with EMID ≠ 0 (median, min, max),
 * null when there is none.
 */
export function boundLooseness(r: RunResults): { median: number; min: number; max: number; n: number } | null {
  const ratios = r.scenarios.flatMap((s) => (s.emid !== null && s.bound !== null && s.emid !== 0 ? [s.bound / Math.abs(s.emid)] : [])).sort((a, b) => a - b);
  if (ratios.length === 0) return null;
  const mid = ratios.length >> 1;
  const median = ratios.length % 2 === 1 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
  return { median, min: ratios[0], max: ratios[ratios.length - 1], n: ratios.length };
}

/** EMID (own scale) against its upper bound (own scale), least-squares line, r and ρ with intervals. */
export function emidBoundSvg(r: RunResults): Drawn | null {
  const rows = emidBoundRows(r);
  if (rows.length === 0) return null;
  const W = 600;
  const H = 460;
  const m = { top: 34, right: 24, bottom: 48, left: 66 };
  const xd = padded(Math.min(...rows.map((d) => d.x)), Math.max(...rows.map((d) => d.x)));
  const yd = padded(Math.min(0, ...rows.flatMap((d) => (d.ci ? [d.y, d.ci[0]] : [d.y]))), Math.max(0, ...rows.flatMap((d) => (d.ci ? [d.y, d.ci[1]] : [d.y]))));
  const fit = leastSquares(rows.map((d) => d.x), rows.map((d) => d.y));
  const marks: Plot.Markish[] = [Plot.frame({ stroke: '#ccc' }), Plot.ruleY([0], { stroke: '#999' })];
  if (fit) marks.push(Plot.line(xd.map((x) => ({ x, y: fit.intercept + fit.slope * x })), { x: 'x', y: 'y', stroke: '#c0392b', strokeWidth: 1.5, strokeDasharray: '6,4', clip: true }));
  const labels = directLabels(rows, xd, yd, { x0: m.left, x1: W - m.right, y0: m.top, y1: H - m.bottom });
  const holdsLabel = (h: boolean): string => (h ? 'EMID ≤ bound' : 'EMID > bound (violated)');
  marks.push(
    Plot.ruleX(rows.filter((d) => d.ci), { x: 'x', y1: (d) => d.ci![0], y2: (d) => d.ci![1], stroke: '#aaa', strokeWidth: 1 }),
    Plot.dot(rows, { x: 'x', y: 'y', fill: (d) => holdsLabel(d.holds), r: 4.5, stroke: 'white', strokeWidth: 1, title: (d) => `${d.name}\nbound ${formatNumber(d.x, 4)}\nEMID ${formatNumber(d.y, 4)}` }),
    ...labels.marks,
    Plot.text([correlationText(r.correlations.emidVsBound)], { frameAnchor: 'top-left', dy: -22, textAnchor: 'start', fontSize: 12 }),
  );
  const kinds = [true, false].filter((h) => rows.some((d) => d.holds === h));
  const items = [...kinds.map((h) => ({ label: holdsLabel(h), color: h ? '#2a7ab0' : '#d62728' })), ...(fit ? [{ label: 'least-squares line', color: '#c0392b' }] : [])];
  const plot = renderPlot({
    width: W, height: H, marginLeft: m.left, marginBottom: m.bottom, marginTop: m.top, marginRight: m.right, grid: true,
    x: { domain: xd, label: `Upper bound on EMID (${r.run.bound}, own scale)`, labelAnchor: 'center', labelArrow: 'none' },
    y: { domain: yd, label: `EMID (${emiUnitLabel(r)})`, labelAnchor: 'center', labelArrow: 'none' },
    color: { domain: kinds.map(holdsLabel), range: kinds.map((h) => (h ? '#2a7ab0' : '#d62728')) },
    marks,
  });
  return { parts: [plot, swatchLegend(items)], labelled: labels.placed };
}

/** Display name of a scenario in the per-scenario figure: its short label and its name without "llava_bench_". */
function rowName(s: { name: string; label: string }): string {
  return `${s.label}  ${s.name.replace(/^llava_bench_/, '')}`;
}

/** EMID per OOD scenario with its interval, on its own scale, ordered by bound (largest first). */
export function emidByScenarioSvg(r: RunResults): Drawn | null {
  const rows = emidBoundRows(r).sort((a, b) => b.x - a.x);
  if (rows.length === 0) return null;
  const names = rows.map(rowName);
  const marginLeft = Math.ceil(16 + 6.6 * Math.max(...names.map((n) => n.length)));
  const marginRight = 150;
  const W = Math.max(720, marginLeft + marginRight + 360);
  const H = 70 + 16 * rows.length;
  const xd = padded(Math.min(0, ...rows.flatMap((d) => (d.ci ? [d.y, d.ci[0]] : [d.y]))), Math.max(0, ...rows.flatMap((d) => (d.ci ? [d.y, d.ci[1]] : [d.y]))));
  const plot = renderPlot({
    width: W, height: H, marginLeft, marginRight, marginTop: 36, marginBottom: 34, grid: true,
    x: { domain: xd, label: `EMID (${emiUnitLabel(r)})`, labelAnchor: 'center', labelArrow: 'none', axis: 'both' },
    y: { domain: names, label: null, tickSize: 0 },
    marks: [
      Plot.ruleX([0], { stroke: '#999' }),
      Plot.ruleY(rows.filter((d) => d.ci), { y: rowName, x1: (d) => d.ci![0], x2: (d) => d.ci![1], stroke: '#aaa', strokeWidth: 1.5 }),
      Plot.dot(rows, { y: rowName, x: 'y', r: 3.5, fill: (d) => (d.holds ? '#2a7ab0' : '#d62728'), title: (d) => `${d.name}\nEMID ${formatNumber(d.y, 4)}\nbound ${formatNumber(d.x, 4)}` }),
      Plot.text(rows, { y: rowName, frameAnchor: 'right', dx: 8, textAnchor: 'start', fontSize: 11, text: (d) => `${formatNumber(d.x, 3)}  ${d.y === 0 ? '—' : `${formatNumber(d.x / Math.abs(d.y), 0)}×`}` }),
      Plot.text(['bound   bound/|EMID|'], { frameAnchor: 'top-right', dx: 8, dy: -22, textAnchor: 'start', fontSize: 11, fontWeight: 600 }),
    ],
  });
  return { parts: [plot] };
}

function shiftLabel(shift: string | null, severity: number | null): string {
  if (shift === null) return 'none';
  return severity === null ? shift : `${shift} ${severity}`;
}

/** Axis titles and row/column names of the grid (the natural grid's rows are image sources, its columns languages). */
function gridAxes(grid: GridKind): { rows: string; cols: string; row: (l: string) => string; col: (l: string) => string } {
  if (grid === 'natural') {
    return {
      rows: 'Images (LLaVA-Bench split)',
      cols: 'Question language',
      row: (l) => (l === 'none' ? 'COCO' : l.startsWith('in_the_wild_') ? `in-the-wild ${l.slice('in_the_wild_'.length)}` : l),
      col: (l) => (l === 'none' ? 'English' : l),
    };
  }
  return { rows: 'Image corruption, severity', cols: 'Text perturbation, level', row: (l) => l, col: (l) => l };
}

/** Labels in order of first appearance (the scenarios are in the paper's order), 'none' first. */
function firstAppearance(labels: readonly string[]): string[] {
  const seen = [...new Set(labels)];
  return seen.includes('none') ? ['none', ...seen.filter((l) => l !== 'none')] : seen;
}

/** EMID over the shift grid: rows image condition, columns text condition, in the paper's order. */
export function emidHeatmapSvg(r: RunResults): Drawn | null {
  const placed = r.scenarios.filter((s) => s.modality === 'id' || ((s.visualShift !== null || s.textShift !== null) && s.emid !== null));
  if (!placed.some((s) => s.modality !== 'id')) return null;
  const grid = gridKind(r);
  const axes = gridAxes(grid);
  const pos = (s: ScenarioResult): { visual: string; text: string } => ({ visual: axes.row(shiftLabel(s.visualShift, s.visualSeverity)), text: axes.col(shiftLabel(s.textShift, s.textSeverity)) });
  const cells = new Map<string, { visual: string; text: string; names: string[]; values: number[]; id: boolean }>();
  for (const s of placed) {
    const { visual, text } = pos(s);
    const key = `${visual}\u0000${text}`;
    const cell = cells.get(key) ?? { visual, text, names: [], values: [], id: false };
    cell.names.push(s.name);
    cell.values.push(s.emid ?? 0);
    cell.id ||= s.modality === 'id';
    cells.set(key, cell);
  }
  const rows = [...cells.values()].map((c) => {
    const emid = c.values.reduce((a, b) => a + b, 0) / c.values.length;
    const isId = c.id && c.names.length === 1;
    return { ...c, emid, label: isId ? 'ID' : `${formatNumber(emid, 3)}${c.names.length > 1 ? '*' : ''}`, title: `${c.names.join('\n')}\nEMID ${isId ? '0 (ID)' : formatNumber(emid, 4)}${c.names.length > 1 ? ' (mean)' : ''}` };
  });
  const m = Math.max(...rows.map((d) => Math.abs(d.emid))) || 1;
  const color = Plot.scale({ color: { type: 'diverging', scheme: 'BuRd', pivot: 0, domain: [-m, m] } });
  const fill = (v: number): string => String(color.apply(v));
  const visualDomain = firstAppearance(placed.map((s) => shiftLabel(s.visualShift, s.visualSeverity))).map(axes.row);
  const textDomain = firstAppearance(placed.map((s) => shiftLabel(s.textShift, s.textSeverity))).map(axes.col);
  const marginLeft = Math.ceil(48 + 7.5 * Math.max(...visualDomain.map((v) => v.length)));
  const colWidth = Math.max(92, 8 * Math.max(...textDomain.map((t) => t.length)));
  const plot = renderPlot({
    width: marginLeft + 20 + colWidth * textDomain.length,
    height: 70 + 46 * visualDomain.length,
    marginLeft, marginTop: 50, marginBottom: 20, marginRight: 20, padding: 0.04,
    x: { domain: textDomain, axis: 'top', label: axes.cols, labelAnchor: 'center', tickSize: 0 },
    y: { domain: visualDomain, label: axes.rows, labelAnchor: 'center', tickSize: 0, labelOffset: marginLeft - 16 },
    marks: [
      Plot.cell(rows, { x: 'text', y: 'visual', fill: (d) => fill(d.emid), title: 'title' }),
      Plot.text(rows, { x: 'text', y: 'visual', text: 'label', fontSize: 12, fontWeight: 600, fill: (d) => (Math.abs(d.emid) > 0.55 * m ? 'white' : '#222') }),
    ],
  });
  const merged = rows.some((d) => d.names.length > 1) ? '; * mean of several scenarios in one cell' : '';
  return { parts: [plot, rampLegend(fill, -m, m, `EMID (${emiUnitLabel(r)}): red = worse than ID, blue = better${merged}`)] };
}

/** A horizontal colour ramp legend as SVG (Plot's own ramp needs a canvas). */
function rampLegend(fill: (v: number) => string, lo: number, hi: number, title: string): SvgPart {
  const ramp = 300;
  const width = Math.max(ramp + 48, Math.ceil(20 + 6.8 * title.length));
  const stops = Array.from({ length: 11 }, (_, i) => `<stop offset="${i * 10}%" stop-color="${fill(lo + ((hi - lo) * i) / 10)}"/>`).join('');
  const ticks = [lo, (lo + hi) / 2, hi]
    .map((v, i) => {
      const x = 24 + (i * ramp) / 2;
      return `<line x1="${x}" x2="${x}" y1="22" y2="40" stroke="#444"/><text x="${x}" y="54" text-anchor="middle">${escapeHtml(formatNumber(v, 3))}</text>`;
    })
    .join('');
  return {
    markup:
      `<svg class="ramp-legend" width="${width}" height="60" viewBox="0 0 ${width} 60" font-family='${FONT}' font-size="12" fill="currentColor" role="img" aria-label="${escapeHtml(title)}">` +
      `<defs><linearGradient id="emid-ramp">${stops}</linearGradient></defs>` +
      `<text x="8" y="12">${escapeHtml(title)}</text>` +
      `<rect x="24" y="22" width="${ramp}" height="14" fill="url(#emid-ramp)"/>${ticks}</svg>`,
    width,
    height: 60,
  };
}

/** J_v, J_t and J_Q per OOD scenario as grouped bars, null baselines dashed. */
export function jsdBarsSvg(r: RunResults): Drawn | null {
  const withJsd = r.scenarios.filter((s) => s.jsd !== null);
  if (withJsd.length === 0) return null;
  const nul = r.JSD_null;
  const terms = [
    { key: 'visual', label: 'J_v (images)', color: JSD_COLORS.visual, nullValue: nul?.visual ?? null },
    { key: 'text', label: 'J_t (questions)', color: JSD_COLORS.text, nullValue: nul?.text ?? null },
    { key: 'oodOutput', label: 'J_Q (OOD responses)', color: JSD_COLORS.output, nullValue: nul?.output ?? null },
  ] as const;
  const rows = withJsd.flatMap((s) => terms.map((t) => ({ scenario: s.name, term: t.label, value: s.jsd ? s.jsd[t.key] : 0 })));
  const marginLeft = Math.ceil(16 + 6.6 * Math.max(...withJsd.map((s) => s.name.length)));
  const W = Math.max(760, marginLeft + 520);
  const H = 80 + 27 * withJsd.length;
  const plot = renderPlot({
    width: W, height: H, marginLeft, marginTop: 36, marginBottom: 44, marginRight: 24, grid: true,
    x: { label: 'Jensen–Shannon divergence (nats)', labelAnchor: 'center', labelArrow: 'none', axis: 'both', zero: true, nice: true },
    y: { axis: null, domain: terms.map((t) => t.label) },
    fy: { axis: 'left', label: null, domain: withJsd.map((s) => s.name), padding: 0.15 },
    color: { domain: terms.map((t) => t.label), range: terms.map((t) => t.color) },
    marks: [
      Plot.barX(rows, { x: 'value', y: 'term', fy: 'scenario', fill: 'term', title: (d) => `${d.scenario}\n${d.term} ${formatNumber(d.value, 4)}` }),
      Plot.ruleX(terms.filter((t) => t.nullValue !== null), { x: 'nullValue', stroke: 'label', strokeDasharray: '3,3', strokeWidth: 1.5 }),
      Plot.ruleX([0], { stroke: '#444' }),
    ],
  });
  return { parts: [plot, swatchLegend(terms.map((t) => ({ label: t.label, color: t.color })))] };
}
