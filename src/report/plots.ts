/**
 * The report's four plots, drawn with @observablehq/plot on a linkedom document (no browser)
 * and returned as SVG markup to inline in the page:
 *
 * 1. EMI (E1) against the judge's relative preference score (or, in the demo, the simulated
 *    model's known accuracy), with the least-squares line and Pearson r;
 * 2. EMID (E2) against its upper bound (E3), with the line y = x;
 * 3. EMID over the visual × text shift grid (DESIGN.md §3 naming);
 * 4. the JSD terms J_v, J_t, J_Q per scenario, with the JSD null baseline.
 *
 * Each function returns null when the results hold nothing to draw. Text inside the SVG
 * (scenario names in tooltips and labels) is escaped by the DOM serialiser.
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { CorrelationSummary, RunResults, ScenarioResult } from './run-results.js';
import { formatNumber } from './html-format.js';
import { escapeHtml } from './escape.js';

type PlotDocument = NonNullable<Plot.PlotOptions['document']>;

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

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

/** Colours of the JSD terms in plot 4. */
const JSD_COLORS = { visual: '#4e79a7', text: '#f28e2b', output: '#59a14f' } as const;

/** The class of every plot's own SVG element (its legends are separate, smaller SVGs). */
export const PLOT_CLASS = 'mllmshift-plot';

function render(options: Plot.PlotOptions): string {
  const { document } = parseHTML('<!DOCTYPE html><html><head></head><body></body></html>');
  const el = Plot.plot({ ...options, className: PLOT_CLASS, document: document as unknown as PlotDocument, style: { fontFamily: FONT, fontSize: '12px', overflow: 'visible' } });
  return el.outerHTML;
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

/** What plot 1 puts on its y axis. */
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

function modalityColor(present: readonly ScenarioResult[]): Plot.ScaleOptions {
  const kinds = (Object.keys(MODALITY_COLORS) as ScenarioResult['modality'][]).filter((k) => present.some((s) => s.modality === k));
  return { domain: kinds.map((k) => MODALITY_LABELS[k]), range: kinds.map((k) => MODALITY_COLORS[k]), legend: true };
}

/** Plot 1: EMI against relative preference (or simulated accuracy), fit line and r. */
export function emiScatterSvg(r: RunResults): string | null {
  const outcome = chooseOutcome(r);
  if (!outcome) return null;
  const rows = r.scenarios.flatMap((s) => {
    const y = outcome.kind === 'relativePreference' ? s.judge?.relativePreference : s.simulatedAccuracy;
    if (y === null || y === undefined) return [];
    const yCi = outcome.kind === 'relativePreference' ? s.judge?.relativePreferenceCi95 ?? null : null;
    return [{ name: s.name, kind: MODALITY_LABELS[s.modality], x: s.emi, y, xCi: s.emiCi95, yCi }];
  });
  if (rows.length === 0) return null;
  const fit = leastSquares(rows.map((d) => d.x), rows.map((d) => d.y));
  const [x0, x1] = [Math.min(...rows.map((d) => d.x)), Math.max(...rows.map((d) => d.x))];
  const marks: Plot.Markish[] = [
    Plot.frame({ stroke: '#ccc' }),
    Plot.ruleY(rows.filter((d) => d.xCi), { y: 'y', x1: (d) => d.xCi[0], x2: (d) => d.xCi[1], stroke: '#999', strokeWidth: 1 }),
    Plot.ruleX(rows.filter((d) => d.yCi), { x: 'x', y1: (d) => d.yCi[0], y2: (d) => d.yCi[1], stroke: '#999', strokeWidth: 1 }),
  ];
  if (fit) {
    marks.push(Plot.line([x0, x1].map((x) => ({ x, y: fit.intercept + fit.slope * x })), { x: 'x', y: 'y', stroke: '#c0392b', strokeWidth: 1.5, strokeDasharray: '6,4' }));
  }
  marks.push(
    Plot.dot(rows, { x: 'x', y: 'y', fill: 'kind', r: 4.5, stroke: 'white', strokeWidth: 1, title: (d) => `${d.name}\nEMI ${formatNumber(d.x, 4)}\n${outcome.label} ${formatNumber(d.y, 3)}` }),
  );
  return render({
    width: 540,
    height: 400,
    marginLeft: 60,
    marginBottom: 48,
    marginTop: 16,
    marginRight: 20,
    grid: true,
    inset: 10,
    x: { label: 'EMI (nats)', labelAnchor: 'center', labelArrow: 'none' },
    y: { label: outcome.label, labelAnchor: 'center', labelArrow: 'none' },
    color: modalityColor(r.scenarios.filter((s) => rows.some((d) => d.name === s.name))),
    marks,
  });
}

/** Plot 2: EMID against its upper bound for the OOD scenarios, with y = x (E3: EMID ≤ bound). */
export function emidBoundSvg(r: RunResults): string | null {
  const rows = r.scenarios.flatMap((s) =>
    s.emid !== null && s.bound !== null
      ? [{ name: s.name, x: s.bound, y: s.emid, ci: s.emidCi95, holds: s.emid <= s.bound ? 'EMID ≤ bound' : 'EMID > bound (violated)' }]
      : [],
  );
  if (rows.length === 0) return null;
  const xs = rows.map((d) => d.x);
  const ys = rows.flatMap((d) => (d.ci ? [d.y, ...d.ci] : [d.y]));
  const xDomain = padded(Math.min(0, ...xs), Math.max(...xs));
  const yDomain = padded(Math.min(0, ...ys), Math.max(0, ...ys));
  const lo = Math.max(xDomain[0], yDomain[0]);
  const hi = Math.min(xDomain[1], yDomain[1]);
  const marks: Plot.Markish[] = [Plot.frame({ stroke: '#ccc' }), Plot.ruleY([0], { stroke: '#bbb' })];
  if (hi > lo) marks.push(Plot.line([{ x: lo, y: lo }, { x: hi, y: hi }], { x: 'x', y: 'y', stroke: '#555', strokeDasharray: '6,4', strokeWidth: 1.5 }));
  marks.push(
    Plot.ruleX(rows.filter((d) => d.ci), { x: 'x', y1: (d) => d.ci[0], y2: (d) => d.ci[1], stroke: '#999', strokeWidth: 1 }),
    Plot.dot(rows, { x: 'x', y: 'y', fill: 'holds', r: 4.5, stroke: 'white', strokeWidth: 1, title: (d) => `${d.name}\nbound ${formatNumber(d.x, 4)}\nEMID ${formatNumber(d.y, 4)}` }),
  );
  const kinds = ['EMID ≤ bound', 'EMID > bound (violated)'].filter((k) => rows.some((d) => d.holds === k));
  return render({
    width: 540,
    height: 400,
    marginLeft: 60,
    marginBottom: 48,
    marginTop: 16,
    marginRight: 20,
    grid: true,
    x: { domain: xDomain, label: `Upper bound (${r.run.bound})`, labelAnchor: 'center', labelArrow: 'none' },
    y: { domain: yDomain, label: 'EMID (nats)', labelAnchor: 'center', labelArrow: 'none' },
    color: { domain: kinds, range: kinds.map((k) => (k === 'EMID ≤ bound' ? '#2a7ab0' : '#d62728')), legend: true },
    marks,
  });
}

function padded(lo: number, hi: number): [number, number] {
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo === 0 ? 0 : lo - 0.05 * span, hi + 0.05 * span];
}

function shiftLabel(shift: string | null, severity: number | null): string {
  if (shift === null) return 'none';
  return severity === null ? shift : `${shift} ${severity}`;
}

function shiftOrder(cells: readonly { shift: string | null; severity: number | null }[]): string[] {
  const seen = new Map<string, { shift: string | null; severity: number | null }>();
  for (const c of cells) seen.set(shiftLabel(c.shift, c.severity), c);
  return [...seen]
    .sort(([, a], [, b]) => {
      if (a.shift === null || b.shift === null) return a.shift === null ? (b.shift === null ? 0 : -1) : 1;
      return a.shift.localeCompare(b.shift) || (a.severity ?? 0) - (b.severity ?? 0);
    })
    .map(([label]) => label);
}

/** Plot 3: EMID over visual shift (rows) × text shift (columns); the ID set is the (none, none) cell. */
export function emidHeatmapSvg(r: RunResults): string | null {
  const placed = r.scenarios.filter((s) => s.modality === 'id' || ((s.visualShift !== null || s.textShift !== null) && s.emid !== null));
  if (!placed.some((s) => s.modality !== 'id')) return null;
  const cells = new Map<string, { visual: string; text: string; names: string[]; values: number[] }>();
  for (const s of placed) {
    const visual = s.modality === 'id' ? 'none' : shiftLabel(s.visualShift, s.visualSeverity);
    const text = s.modality === 'id' ? 'none' : shiftLabel(s.textShift, s.textSeverity);
    const key = `${visual}\u0000${text}`;
    const cell = cells.get(key) ?? { visual, text, names: [], values: [] };
    cell.names.push(s.name);
    cell.values.push(s.emid ?? 0);
    cells.set(key, cell);
  }
  const rows = [...cells.values()].map((c) => {
    const emid = c.values.reduce((a, b) => a + b, 0) / c.values.length;
    const isId = c.names.length === 1 && c.names[0] === r.run.idScenario;
    return { ...c, emid, label: isId ? 'ID' : `${formatNumber(emid, 3)}${c.names.length > 1 ? '*' : ''}`, title: `${c.names.join('\n')}\nEMID ${isId ? '0 (ID)' : formatNumber(emid, 4)}${c.names.length > 1 ? ' (mean)' : ''}` };
  });
  const m = Math.max(...rows.map((d) => Math.abs(d.emid))) || 1;
  const color = Plot.scale({ color: { type: 'diverging', scheme: 'BuRd', pivot: 0, domain: [-m, m] } });
  const fill = (v: number): string => String(color.apply(v));
  const visualDomain = shiftOrder(placed.map((s) => (s.modality === 'id' ? { shift: null, severity: null } : { shift: s.visualShift, severity: s.visualSeverity })));
  const textDomain = shiftOrder(placed.map((s) => (s.modality === 'id' ? { shift: null, severity: null } : { shift: s.textShift, severity: s.textSeverity })));
  const marginLeft = 48 + 7.5 * Math.max(...visualDomain.map((v) => v.length));
  const colWidth = Math.max(92, 8 * Math.max(...textDomain.map((t) => t.length)));
  const svg = render({
    width: marginLeft + 20 + colWidth * textDomain.length,
    height: 70 + 46 * visualDomain.length,
    marginLeft,
    marginTop: 50,
    marginBottom: 20,
    marginRight: 20,
    padding: 0.04,
    x: { domain: textDomain, axis: 'top', label: 'Text shift (perturbation, level)', labelAnchor: 'center', tickSize: 0 },
    y: { domain: visualDomain, label: 'Visual shift (corruption, severity)', labelAnchor: 'center', tickSize: 0, labelOffset: marginLeft - 16 },
    marks: [
      Plot.cell(rows, { x: 'text', y: 'visual', fill: (d) => fill(d.emid), title: 'title' }),
      Plot.text(rows, { x: 'text', y: 'visual', text: 'label', fontSize: 12, fontWeight: 600, fill: (d) => (Math.abs(d.emid) > 0.55 * m ? 'white' : '#222') }),
    ],
  });
  const merged = rows.some((d) => d.names.length > 1) ? '; * mean of several scenarios in one cell' : '';
  return svg + rampLegend(fill, -m, m, `EMID (nats): red = worse than ID, blue = better${merged}`);
}

/** A horizontal colour ramp legend as SVG (Plot's own ramp needs a canvas). */
function rampLegend(fill: (v: number) => string, lo: number, hi: number, title: string): string {
  const ramp = 300;
  const width = Math.max(ramp + 48, Math.ceil(20 + 6.8 * title.length));
  const stops = Array.from({ length: 11 }, (_, i) => `<stop offset="${i * 10}%" stop-color="${fill(lo + ((hi - lo) * i) / 10)}"/>`).join('');
  const ticks = [lo, (lo + hi) / 2, hi]
    .map((v, i) => {
      const x = 24 + (i * ramp) / 2;
      return `<line x1="${x}" x2="${x}" y1="22" y2="40" stroke="#444"/><text x="${x}" y="54" text-anchor="middle">${escapeHtml(formatNumber(v, 3))}</text>`;
    })
    .join('');
  return (
    `<svg class="ramp-legend" width="${width}" height="60" viewBox="0 0 ${width} 60" font-family='${FONT}' font-size="12" fill="currentColor" role="img" aria-label="${escapeHtml(title)}">` +
    `<defs><linearGradient id="emid-ramp">${stops}</linearGradient></defs>` +
    `<text x="8" y="12">${escapeHtml(title)}</text>` +
    `<rect x="24" y="22" width="${ramp}" height="14" fill="url(#emid-ramp)"/>${ticks}</svg>`
  );
}

/** Plot 4: J_v, J_t and J_Q per OOD scenario as grouped bars, null baselines dashed. */
export function jsdBarsSvg(r: RunResults): string | null {
  const withJsd = r.scenarios.filter((s) => s.jsd !== null);
  if (withJsd.length === 0) return null;
  const terms = [
    { key: 'visual', label: 'J_v (images)', color: JSD_COLORS.visual, nullValue: r.JSD_null.visual },
    { key: 'text', label: 'J_t (questions)', color: JSD_COLORS.text, nullValue: r.JSD_null.text },
    { key: 'oodOutput', label: 'J_Q (OOD responses)', color: JSD_COLORS.output, nullValue: r.JSD_null.output },
  ] as const;
  const rows = withJsd.flatMap((s) => terms.map((t) => ({ scenario: s.name, term: t.label, value: s.jsd ? s.jsd[t.key] : 0 })));
  const marginLeft = 16 + 6.6 * Math.max(...withJsd.map((s) => s.name.length));
  return render({
    width: Math.max(760, marginLeft + 520),
    height: 80 + 34 * withJsd.length,
    marginLeft,
    marginTop: 36,
    marginBottom: 44,
    marginRight: 24,
    grid: true,
    x: { label: 'Jensen–Shannon divergence (nats)', labelAnchor: 'center', labelArrow: 'none', axis: 'both', zero: true, nice: true },
    y: { axis: null, domain: terms.map((t) => t.label) },
    fy: { axis: 'left', label: null, domain: withJsd.map((s) => s.name), padding: 0.18 },
    color: { domain: terms.map((t) => t.label), range: terms.map((t) => t.color), legend: true },
    marks: [
      Plot.barX(rows, { x: 'value', y: 'term', fy: 'scenario', fill: 'term', title: (d) => `${d.scenario}\n${d.term} ${formatNumber(d.value, 4)}` }),
      Plot.ruleX(terms, { x: 'nullValue', stroke: 'label', strokeDasharray: '3,3', strokeWidth: 1.5 }),
      Plot.ruleX([0], { stroke: '#444' }),
    ],
  });
}
