/**
 * The monitor's dashboard (`dashboard.html`): one self-contained static page in the report's
 * style (report/html.ts CSS, Observable Plot SVGs, no scripts, no requests; images only as
 * data: URLs) with the time series of EMI, EMID, the bound and each JSD term over the windows,
 * the alert marks, the per-window table, which quantities used how many references, and the
 * most drifted samples of the alerted and latest windows with their images and answers.
 * Every text from the log (questions, answers, ids) is escaped.
 */
import * as Plot from '@observablehq/plot';
import { escapeHtml as e } from '../report/escape.js';
import { formatInterval, formatNumber } from '../report/html-format.js';
import { REPORT_CSS } from '../report/html.js';
import { PLOT_CLASS, renderPlot } from '../report/plots.js';
import { VERSION } from '../version.js';
import type { MonitorOutcome, WindowResult } from './monitor.js';

const DASHBOARD_CSS = `
.alert-mark { color: #c0392b; font-weight: 700; }
.drifted { display: grid; grid-template-columns: 170px 1fr; gap: 12px; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 0 0 12px; }
.drifted img { width: 160px; height: auto; border-radius: 4px; border: 1px solid var(--line); }
.drifted .meta { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
.drifted dl { margin: 0; }
.drifted dt { font-weight: 600; margin-top: 6px; }
.drifted dd { margin: 2px 0 0; white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); border-radius: 4px; padding: 4px 8px; }
`;

type Monitored = WindowResult & Required<Pick<WindowResult, 'emi' | 'emid' | 'bound' | 'jsd' | 'null' | 'decisions'>>;

const monitored = (m: MonitorOutcome): Monitored[] => m.windows.filter((w): w is Monitored => w.role === 'monitored' && w.bound !== undefined);

/** A time series with its null mean, an optional interval band and red rules at alerted windows. */
function seriesSvg(ws: readonly Monitored[], label: string, value: (w: Monitored) => number, nullMean: ((w: Monitored) => number) | null, band: ((w: Monitored) => readonly [number, number] | null) | null): string {
  const rows = ws.map((w) => ({ i: w.index, v: value(w), n: nullMean ? nullMean(w) : NaN, band: band ? band(w) : null, alert: w.alert === true, key: w.key }));
  const withBand = rows.filter((r) => r.band !== null);
  const marks: Plot.Markish[] = [
    Plot.ruleX(rows.filter((r) => r.alert), { x: 'i', stroke: '#e74c3c', strokeOpacity: 0.35, strokeWidth: 6 }),
    withBand.length > 0 ? Plot.areaY(withBand, { x: 'i', y1: (r: (typeof rows)[number]) => r.band![0], y2: (r: (typeof rows)[number]) => r.band![1], fill: '#2a5db0', fillOpacity: 0.15 }) : null,
    nullMean ? Plot.lineY(rows, { x: 'i', y: 'n', stroke: '#888', strokeDasharray: '4,3' }) : null,
    Plot.lineY(rows, { x: 'i', y: 'v', stroke: '#2a5db0', strokeWidth: 2 }),
    Plot.dot(rows, { x: 'i', y: 'v', fill: (r: (typeof rows)[number]) => (r.alert ? '#c0392b' : '#2a5db0'), r: 3.5, title: (r: (typeof rows)[number]) => `${r.key}: ${formatNumber(r.v, 4)}${r.alert ? ' (alert)' : ''}` }),
  ];
  return renderPlot({ width: 560, height: 240, marginLeft: 56, x: { label: "window", tickFormat: "d" }, y: { label, grid: true }, marks }).markup;
}

function jsdSvg(ws: readonly Monitored[]): string {
  const terms = [['visual', 'J_v'], ['text', 'J_t'], ['oodOutput', 'J_Q'], ['idOutput', 'J_P']] as const;
  const rows = ws.flatMap((w) => terms.map(([k, name]) => ({ i: w.index, v: w.jsd[k], term: name })));
  const nulls = ws.flatMap((w) => [{ i: w.index, v: w.null.visual.mean, term: 'J_v null' }, { i: w.index, v: w.null.text.mean, term: 'J_t null' }]);
  return renderPlot({
    width: 1120, height: 260, marginLeft: 56, x: { label: 'window', tickFormat: 'd' }, y: { label: 'JSD (nats)', grid: true },
    color: { legend: true, domain: ['J_v', 'J_t', 'J_Q', 'J_P', 'J_v null', 'J_t null'], range: ['#4e79a7', '#f28e2b', '#59a14f', '#9c755f', '#9ab8d8', '#f7c08b'] },
    marks: [
      Plot.ruleX(ws.filter((w) => w.alert), { x: 'index', stroke: '#e74c3c', strokeOpacity: 0.35, strokeWidth: 6 }),
      Plot.lineY(nulls, { x: 'i', y: 'v', stroke: 'term', strokeDasharray: '4,3' }),
      Plot.lineY(rows, { x: 'i', y: 'v', stroke: 'term', strokeWidth: 2 }),
      Plot.dot(rows, { x: 'i', y: 'v', fill: 'term', r: 2.5 }),
    ],
  }).markup;
}

function figure(id: string, title: string, svg: string, caption: string, wide = false): string {
  return `<figure class="plot-card${wide ? ' wide' : ''}" id="${id}"><h3>${e(title)}</h3>${svg}<figcaption>${caption}</figcaption></figure>`;
}

function windowTable(ws: readonly Monitored[]): string {
  const head = '<tr><th>window</th><th class="num">requests</th><th class="num">analysed</th><th class="num">refs</th><th class="num">EMI</th><th class="num">EMID [95 %]</th><th class="num">z</th><th class="num">bound [95 %]</th><th class="num">z</th><th class="num">J_v (null)</th><th class="num">J_t (null)</th><th class="num">J_Q</th><th>alert</th></tr>';
  const rows = ws.map((w) => {
    const [de, db] = w.decisions;
    return `<tr${w.alert ? ' class="alerted"' : ''}><td>${e(w.key)}<small>#${w.index}</small></td><td class="num">${w.requests}</td><td class="num">${w.analysed}</td><td class="num">${w.referenced}</td>` +
      `<td class="num">${formatNumber(w.emi, 4)}</td><td class="num">${formatNumber(w.emid, 4)}<small>${formatInterval(w.intervals?.emid ?? null, 3)}</small></td><td class="num">${formatNumber(de.z, 2)}<small>≥ ${formatNumber(de.threshold, 2)}</small></td>` +
      `<td class="num">${formatNumber(w.bound, 4)}<small>${formatInterval(w.intervals?.bound ?? null, 3)}</small></td><td class="num">${formatNumber(db.z, 2)}<small>≥ ${formatNumber(db.threshold, 2)}</small></td>` +
      `<td class="num">${formatNumber(w.jsd.visual, 4)}<small>${formatNumber(w.null.visual.mean, 4)}</small></td><td class="num">${formatNumber(w.jsd.text, 4)}<small>${formatNumber(w.null.text.mean, 4)}</small></td><td class="num">${formatNumber(w.jsd.oodOutput, 4)}</td>` +
      `<td>${w.alert ? `<span class="alert-mark">ALERT</span> ${w.decisions.filter((d) => d.alert).map((d) => d.statistic).join(', ')}` : ''}</td></tr>`;
  });
  return `<div class="table-wrap"><table id="windows-table"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function driftedSection(ws: readonly Monitored[]): string {
  const show = [...new Set([...ws.filter((w) => w.alert), ...ws.slice(-3)])].sort((a, b) => a.index - b.index).slice(-12);
  if (show.length === 0) return '<p class="placeholder">No monitored window yet.</p>';
  return show.map((w) => {
    const cards = (w.drifted ?? []).map((s) =>
      `<div class="drifted">${s.thumbnail ? `<img src="${e(s.thumbnail)}" alt="image of request ${e(s.id)}">` : '<div class="placeholder">image unavailable</div>'}` +
      `<div><div class="meta">request ${e(s.id)} · log line ${s.line} · contribution to J_v ${formatNumber(s.contribVisual, 4)}, to J_t ${formatNumber(s.contribText, 4)}</div><dl>` +
      `<dt>Question</dt><dd class="question">${e(s.question)}</dd><dt>Deployed model</dt><dd class="response">${e(s.answer)}</dd>` +
      (s.reference !== null ? `<dt>Reference model</dt><dd class="reference">${e(s.reference)}</dd>` : '') + '</dl></div></div>').join('');
    return `<h3>Window ${e(w.key)} (#${w.index})${w.alert ? ' <span class="alert-mark">ALERT</span>' : ''}</h3>${cards || '<p class="placeholder">No samples kept.</p>'}`;
  }).join('');
}

export function renderDashboardHtml(m: MonitorOutcome): string {
  const ws = monitored(m);
  const alerts = ws.filter((w) => w.alert);
  const refWindows = m.windows.filter((w) => w.role === 'reference').length;
  const ing = m.ingest;
  const skipped = Object.entries(ing.skipped).map(([k, v]) => `${v} ${e(k)}`).join(', ') || 'none';
  const banner = m.simulated
    ? '<div class="banner" id="simulation-banner" role="note"><strong>This is a simulation.</strong> The traffic, the deployed model and the reference model are simulated, with shifts injected on a known schedule; the numbers show how monitoring works and say nothing about any real MLLM.</div>'
    : '';
  const verdict = alerts.length === 0
    ? `<div class="verdict ok" id="alert-verdict">No alert in ${ws.length} monitored window${ws.length === 1 ? '' : 's'}.</div>`
    : `<div class="verdict bad" id="alert-verdict">${alerts.length} alerted window${alerts.length === 1 ? '' : 's'} of ${ws.length}: ${alerts.map((w) => e(w.key)).join(', ')}.</div>`;
  const last = ws[ws.length - 1];
  const counts = last?.counts;
  const plots = ws.length === 0 ? '<p class="placeholder">No monitored window yet: the reference period is not complete.</p>' : `<div class="plots">${[
    figure('plot-emid', 'EMID over time', seriesSvg(ws, 'EMID', (w) => w.emid, (w) => w.null.emid.mean, (w) => w.intervals?.emid ?? null), 'EMID = EMI(reference) − EMI(window) (E2), 95 % bootstrap band; dashed: the per-window null (permutations of reference and window rows); red bars: alerts.'),
    figure('plot-bound', 'Upper bound over time', seriesSvg(ws, 'bound', (w) => w.bound, (w) => w.null.bound.mean, (w) => w.intervals?.bound ?? null), `The JSD bound on EMID (E3, ${e(m.settings.bound)}), 95 % band; dashed: null mean.`),
    figure('plot-emi', 'EMI over time', seriesSvg(ws, 'EMI', (w) => w.emi, (w) => w.null.emi.mean, (w) => w.intervals?.emi ?? null), 'EMI of each window (E1, E8): I(X; Ŷ) on all analysed rows minus I(X; Y) on the rows with a reference answer.'),
    figure('plot-jsd', 'JSD terms over time', jsdSvg(ws), 'J_v, J_t: window vs reference (E10); J_Q: the window\'s answers vs reference answers; J_P: the reference set\'s, constant; dashed: null means of J_v and J_t.', true),
  ].join('')}</div>`;
  const refTable = counts
    ? `<div class="table-wrap"><table id="reference-counts"><thead><tr><th>quantity</th><th class="num">rows per window</th><th>needs a reference answer</th></tr></thead><tbody>` +
      `<tr><td>I(X; Ŷ) (EMI's model term)</td><td class="num">${counts.miModel}</td><td>no</td></tr>` +
      `<tr><td>I(X; Y) (EMI's reference term)</td><td class="num">${counts.miReference}</td><td>yes</td></tr>` +
      `<tr><td>J_v, J_t</td><td class="num">${counts.jsdVisual}</td><td>no</td></tr>` +
      `<tr><td>J_Q</td><td class="num">${counts.jsdOutput}</td><td>yes</td></tr>` +
      `<tr><td>J_P, EMI(reference)</td><td class="num">${m.reference?.referenced ?? '—'} (reference set)</td><td>yes</td></tr>` +
      '</tbody></table></div><p class="table-note">Counts of the latest window; every window\'s own counts are in the table below (columns analysed and refs).</p>'
    : '';
  const title = `${m.name} — monitoring`;
  return '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta name="generator" content="mllmshift ${e(VERSION)}"><title>${e(title)}</title><style>${REPORT_CSS}${DASHBOARD_CSS}</style></head><body><main>` +
    `<h1>${e(title)}</h1><p class="subtitle">EMI, EMID and its bound over windows of logged traffic (mllmshift ${e(VERSION)})</p>${banner}${verdict}` +
    '<h2>Traffic and settings</h2><dl class="facts">' +
    `<dt>log</dt><dd>${e(ing.file)}: ${ing.lines} lines, ${ing.records} requests read, ${ing.malformed} malformed, skipped: ${skipped}${ing.late ? `, ${ing.late} late (older than an already closed window)` : ''}${ing.untimed ? `, ${ing.untimed} without a time` : ''}</dd>` +
    `<dt>windows</dt><dd>by ${e(m.settings.by)}; ${refWindows} reference window${refWindows === 1 ? '' : 's'}, ${ws.length} monitored; up to ${m.settings.sample} requests analysed per window${m.openWindow ? `; window ${e(m.openWindow.key)} still open (${m.openWindow.requests} requests)` : ''}</dd>` +
    `<dt>reference set</dt><dd>${m.reference ? `${m.reference.size} of ${m.reference.poolRows} requests from ${e(m.reference.source)} (${m.reference.referenced} with reference answers); EMI ${formatNumber(m.reference.emi, 4)}, J_P ${formatNumber(m.reference.idOutput, 4)}` : 'not yet built'}</dd>` +
    `<dt>references</dt><dd>${formatNumber(m.settings.fraction * 100, 0)} % of each window's analysed requests (within the count/cost budget) answered by the reference model</dd>` +
    `<dt>alerts</dt><dd>false-alarm probability ≤ ${m.settings.alpha} over the whole run (α/(k(k+1)) spent at the k-th window, half on EMID, half on the bound); null from ${m.settings.nullWindows} permutations per window; intervals from ${m.settings.bootstrap} bootstrap replicates</dd>` +
    `</dl>${m.notes.length > 0 ? `<ul class="notes">${m.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : ''}` +
    `<h2>Time series</h2>${plots}<h2>Which quantities used how many references</h2>${refTable || '<p class="placeholder">No monitored window yet.</p>'}` +
    `<h2>Windows</h2>${ws.length > 0 ? windowTable(ws) : '<p class="placeholder">No monitored window yet.</p>'}` +
    `<h2>Most drifted samples</h2><p class="table-note">Per sample i of a window, c_i = a_iᵀ(log ρ_W − log M)a_i / 2n (core/jsd-contributions.ts): its share of the window's half of the JSD; the samples with the largest c_v + c_t are shown for the alerted and the latest windows.</p>${driftedSection(ws)}` +
    `<footer>Generated by mllmshift ${e(VERSION)}. Plots: class ${PLOT_CLASS}.</footer></main></body></html>\n`;
}
