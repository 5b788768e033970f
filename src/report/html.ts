/**
 * The HTML report of a study (`report.html`): one self-contained static page — inline CSS,
 * inline SVG plots, no scripts, no fonts, no requests (a Content-Security-Policy of
 * `default-src 'none'` says so to the browser too). Every text taken from the results (run
 * name, scenario names, notes, questions, responses) is escaped: a response containing
 * `<script>` is shown as text.
 *
 * Sections: summary (run, bound check, headline correlations), the four plots of plots.ts,
 * the per-scenario table, example responses and a glossary of the quantities (DESIGN.md §1).
 */
import { InputError } from '../errors.js';
import type { CorrelationSummary, Interval, RunResults, ScenarioResult } from './run-results.js';
import { escapeHtml } from './escape.js';
import { formatInterval, formatNumber, formatP, pClause } from './html-format.js';
import { chooseOutcome, emiScatterSvg, emidBoundSvg, emidHeatmapSvg, jsdBarsSvg } from './plots.js';
import { writeFileAtomic } from '../io/atomic-write.js';

const CSS = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d9dde5; --soft: #f5f7fa; --accent: #2a5db0; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
figure h3, .example h3 { margin-top: 0; }
.subtitle { color: var(--muted); margin: 0 0 18px; }
.banner { border: 2px solid #d08c00; background: #fff6dc; border-radius: 8px; padding: 14px 18px; margin: 16px 0 20px; font-size: 16px; }
.banner strong { color: #8a5a00; }
.verdict { border-radius: 8px; padding: 12px 16px; margin: 12px 0; font-weight: 600; }
.verdict.ok { background: #e8f4ec; border: 1px solid #9fd0ad; }
.verdict.bad { background: #fdecea; border: 1px solid #f0a9a3; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { padding: 5px 7px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--soft); border-bottom: 2px solid var(--line); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
tr.id-row td { font-weight: 600; }
.yes { color: #1e7b3c; font-weight: 600; }
.no { color: #c0392b; font-weight: 700; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
.table-wrap table { width: 100%; }
.table-wrap td:first-child { min-width: 170px; }
td small, th small { display: block; color: var(--muted); font-size: 12px; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 24px; }
figure.plot-card { margin: 0; padding: 14px 16px; border: 1px solid var(--line); border-radius: 8px; background: #fff; overflow-x: auto; min-width: 0; }
figure.plot-card.wide { grid-column: 1 / -1; }
.plot-card figure { margin: 0; }
.plot-card [class$="-swatches-wrap"] { font-size: 12.5px; }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 8px; }
figcaption b { color: var(--ink); }
.plot-card svg { max-width: 100%; height: auto; }
.stat { margin: 0 0 6px; font-size: 14px; }
.table-note { color: var(--muted); margin: 0 0 10px; }
.placeholder { color: var(--muted); font-style: italic; padding: 24px 0; }
.notes li { margin: 2px 0; overflow-wrap: anywhere; }
.example { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 0 0 14px; }
.example .meta { color: var(--muted); font-size: 13px; margin-bottom: 6px; overflow-wrap: anywhere; }
.example dl { margin: 0; }
.example dt { font-weight: 600; margin-top: 8px; }
.example dd { margin: 2px 0 0; white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); border-radius: 4px; padding: 6px 10px; }
.glossary dt { font-weight: 600; margin-top: 8px; }
.glossary dd { margin: 2px 0 0 0; color: #333; }
footer { color: var(--muted); font-size: 13px; margin-top: 36px; border-top: 1px solid var(--line); padding-top: 10px; }
@media print { main { max-width: none; padding: 0; } .plot-card, .example { break-inside: avoid; } }
`;

function e(text: string): string {
  return escapeHtml(text);
}

function boundFormula(bound: RunResults['run']['bound']): string {
  return bound === 'full' ? 'H·(√J_v + √J_t) + 4·(J_P^¼ + J_Q^¼)' : '√J_v + √J_t + J_P^¼ + J_Q^¼';
}

function oodScenarios(r: RunResults): ScenarioResult[] {
  return r.scenarios.filter((s) => s.modality !== 'id');
}

function simulationBanner(r: RunResults): string {
  if (!r.run.simulated) return '';
  return (
    '<div class="banner" id="simulation-banner" role="note"><strong>This is a simulation demonstrating the pipeline.</strong> ' +
    'The model, its answers and the benchmark are simulated (generated by mllmshift itself, with a known degradation under shift); ' +
    'the numbers below show how the method works and say nothing about any real multimodal LLM.</div>'
  );
}

function boundVerdict(r: RunResults): string {
  const ood = oodScenarios(r).filter((s) => s.boundHolds !== null);
  const violated = ood.filter((s) => s.boundHolds === false);
  if (r.boundHoldsEverywhere && violated.length === 0) {
    return `<div class="verdict ok" id="bound-verdict">EMID ≤ upper bound held in all ${ood.length} OOD scenario${ood.length === 1 ? '' : 's'}.</div>`;
  }
  const names = violated.map((s) => e(s.name)).join(', ');
  return `<div class="verdict bad" id="bound-verdict">EMID ≤ upper bound did not hold everywhere: violated in ${violated.length} of ${ood.length} OOD scenarios${names ? ` (${names})` : ''}.</div>`;
}

function correlationRow(label: string, c: CorrelationSummary | null): string {
  if (!c) return '';
  return (
    `<tr><th scope="row">${label}</th><td class="num">${c.n}</td>` +
    `<td class="num">${formatNumber(c.pearson.r, 3)}</td><td class="num">${formatP(c.pearson.p)}</td>` +
    `<td class="num">${formatNumber(c.spearman.rho, 3)}</td><td class="num">${formatP(c.spearman.p)}</td>` +
    `<td class="num">${formatNumber(c.kendall.tau, 3)}</td><td class="num">${formatP(c.kendall.p)}</td></tr>`
  );
}

function correlationsTable(r: RunResults): string {
  const c = r.correlations;
  const rows = [
    correlationRow('EMID vs upper bound (OOD scenarios)', c.emidVsBound),
    correlationRow('EMI vs relative preference', c.emiVsRelativePreference),
    correlationRow('EMI vs win rate', c.emiVsWinRate),
    correlationRow('EMI vs simulated accuracy', c.emiVsSimulatedAccuracy),
  ].join('');
  return (
    '<table id="correlations"><thead><tr><th>Pair</th><th class="num">n</th><th class="num">Pearson r</th><th class="num">p</th>' +
    '<th class="num">Spearman ρ</th><th class="num">p</th><th class="num">Kendall τ</th><th class="num">p</th></tr></thead>' +
    `<tbody>${rows}</tbody></table>`
  );
}

function headline(r: RunResults): string {
  const parts: string[] = [];
  const eb = r.correlations.emidVsBound;
  if (eb.pearson.r !== null) parts.push(`Correlation of EMID with its upper bound over the OOD scenarios: Pearson r = <b>${formatNumber(eb.pearson.r, 3)}</b> (${pClause(eb.pearson.p)}, n = ${eb.n}).`);
  const outcome = chooseOutcome(r);
  const oc = outcome?.correlation;
  if (outcome && oc && oc.pearson.r !== null) {
    const what = outcome.kind === 'relativePreference' ? 'the judge’s relative preference score' : 'the simulated model’s known accuracy';
    parts.push(`Correlation of EMI with ${what}: Pearson r = <b>${formatNumber(oc.pearson.r, 3)}</b> (${pClause(oc.pearson.p)}) and Spearman ρ = <b>${formatNumber(oc.spearman.rho, 3)}</b> (${pClause(oc.spearman.p)}, n = ${oc.n}).`);
  }
  const acc = r.correlations.emiVsSimulatedAccuracy;
  if (outcome?.kind === 'relativePreference' && acc && acc.spearman.rho !== null) {
    parts.push(`Rank correlation of EMI with the simulated model’s known accuracy: Spearman ρ = <b>${formatNumber(acc.spearman.rho, 3)}</b> (${pClause(acc.spearman.p)}, n = ${acc.n}).`);
  }
  return parts.length > 0 ? `<p id="headline">${parts.join(' ')}</p>` : '';
}

function summarySection(r: RunResults): string {
  const ood = oodScenarios(r);
  const facts: [string, string][] = [
    ['Model', e(r.run.model)],
    ['ID scenario', e(r.run.idScenario)],
    ['Scenarios', `${ood.length} OOD + ${r.scenarios.length - ood.length} ID`],
    ['Encoders', e(r.run.encoders)],
    ['MI estimator', e(r.run.estimator)],
    ['Upper bound', `${e(r.run.bound)}: ${boundFormula(r.run.bound)}`],
    ['JSD mixture', e(r.run.jsdMixture)],
    [
      'JSD null baseline',
      `J_v ${formatNumber(r.JSD_null.visual, 4)}, J_t ${formatNumber(r.JSD_null.text, 4)}, responses ${formatNumber(r.JSD_null.output, 4)} ` +
        `(two random halves of the ID set, ${formatNumber(r.JSD_null.halfSize, 0)} samples each)`,
    ],
  ];
  const notes = r.run.notes.length > 0 ? `<h3>Notes</h3><ul class="notes">${r.run.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : '';
  return (
    '<section id="summary"><h2>Summary</h2>' +
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>` +
    boundVerdict(r) +
    headline(r) +
    `<h3>Correlations across scenarios</h3><div class="table-wrap">${correlationsTable(r)}</div>` +
    notes +
    '</section>'
  );
}

interface FigureSpec {
  readonly id: string;
  readonly title: string;
  /** A line of statistics under the title (HTML). */
  readonly stat?: string;
  readonly svg: string | null;
  readonly caption: string;
  /** Shown instead of the plot when there is nothing to draw. */
  readonly missing: string;
  readonly wide?: boolean;
}

function figure(f: FigureSpec): string {
  const body = f.svg === null ? `<p class="placeholder">${f.missing}</p>` : `${f.stat ? `<p class="stat">${f.stat}</p>` : ''}${f.svg}`;
  return `<figure id="${f.id}" class="plot-card${f.wide ? ' wide' : ''}"><h3>${f.title}</h3>${body}<figcaption>${f.caption}</figcaption></figure>`;
}

function pearsonStat(c: CorrelationSummary | null): string {
  if (!c || c.pearson.r === null) return 'Pearson r not defined (too few scenarios or no spread).';
  return `Pearson r = <b>${formatNumber(c.pearson.r, 3)}</b> (${pClause(c.pearson.p)}), Spearman ρ = ${formatNumber(c.spearman.rho, 3)}, n = ${c.n}`;
}

function plotsSection(r: RunResults): string {
  const outcome = chooseOutcome(r);
  const simulatedAxis = outcome?.kind === 'simulatedAccuracy';
  const emiBars = r.scenarios.some((s) => s.emiCi95 !== null || (!simulatedAxis && s.judge?.relativePreferenceCi95));
  const emidBars = r.scenarios.some((s) => s.emidCi95 !== null);
  const emi = figure({
    id: 'plot-emi',
    title: simulatedAxis ? 'EMI vs simulated accuracy' : 'EMI vs relative preference',
    stat: outcome ? pearsonStat(outcome.correlation) : undefined,
    svg: emiScatterSvg(r),
    caption:
      (simulatedAxis
        ? 'No LLM judge ran in this study, so EMI is set against the simulated model’s known accuracy. '
        : 'Relative preference = 100 · mean(model score) / mean(reference score) from the LLM judge. ') +
      `One point per scenario; red dashed line: least-squares fit${emiBars ? '; grey bars: 95 % intervals' : ''}.`,
    missing: 'No judge scores (relative preference) or simulated accuracy in these results.',
  });
  const bound = figure({
    id: 'plot-emid-bound',
    title: 'EMID vs its upper bound',
    stat: pearsonStat(r.correlations.emidVsBound),
    svg: emidBoundSvg(r),
    caption: `One point per OOD scenario; points below the dashed line y = x satisfy EMID ≤ bound. Bound: ${boundFormula(r.run.bound)}${emidBars ? '; grey bars: 95 % intervals of EMID' : ''}.`,
    missing: 'No OOD scenario with EMID and bound in these results.',
  });
  const unplaced = oodScenarios(r).filter((s) => s.visualShift === null && s.textShift === null).length;
  const grid = figure({
    id: 'plot-heatmap',
    title: 'EMID over the visual × text shift grid',
    svg: emidHeatmapSvg(r),
    caption:
      'EMID = EMI(ID) − EMI(OOD) per scenario, placed by its image corruption (rows) and text perturbation (columns); the ID set is the (none, none) cell. Hover a cell for the scenario name.' +
      (unplaced > 0 ? ` ${unplaced} OOD scenario${unplaced === 1 ? '' : 's'} without shift labels ${unplaced === 1 ? 'is' : 'are'} not shown.` : ''),
    missing: 'The scenarios carry no visual/text shift labels (custom sets), so there is no grid to draw.',
    wide: true,
  });
  const jsd = figure({
    id: 'plot-jsd',
    title: 'Jensen–Shannon divergences per scenario',
    svg: jsdBarsSvg(r),
    caption:
      'J_v and J_t: shift of the images and questions from the ID set; J_Q: divergence between the model’s and the reference responses on the OOD set. ' +
      'Dashed lines: the same divergences between two random halves of the ID set (null baseline), in the colour of each term. ' +
      `J_P (ID responses, the same for every scenario) = ${formatNumber(firstIdOutput(r), 4)}.`,
    missing: 'No JSD terms in these results.',
    wide: true,
  });
  return `<section id="plots"><h2>Plots</h2><div class="plots">${emi}${bound}${grid}${jsd}</div></section>`;
}

function firstIdOutput(r: RunResults): number | null {
  return r.scenarios.find((s) => s.jsd !== null)?.jsd?.idOutput ?? null;
}

const MODALITY_TEXT: Readonly<Record<ScenarioResult['modality'], string>> = {
  id: 'in-distribution',
  visual: 'visual shift',
  text: 'text shift',
  joint: 'visual + text shift',
};

/** A scenario name that may wrap after an underscore followed by a letter (never inside "frost_5"). */
function breakable(name: string): string {
  return e(name).replace(/_(?=[A-Za-z])/g, '_<wbr>');
}

/** A number with its 95 % interval on a second, smaller line. */
function valueCell(v: number | null | undefined, ci: Interval | null | undefined, digits: number): string {
  const interval = formatNumber(v, digits) === '—' ? '' : formatInterval(ci, digits);
  return `<td class="num">${formatNumber(v, digits)}${interval ? `<small>${interval}</small>` : ''}</td>`;
}

function holdsCell(h: boolean | null): string {
  if (h === null) return '<td>—</td>';
  return h ? '<td class="yes">yes</td>' : '<td class="no">no</td>';
}

function scenarioTable(r: RunResults): string {
  const judged = r.scenarios.some((s) => s.judge !== null);
  const simulated = r.scenarios.some((s) => s.simulatedAccuracy !== null);
  const ci = (has: boolean): string => (has ? '<small>95 % CI</small>' : '');
  const emiCi = r.scenarios.some((s) => s.emiCi95 !== null);
  const emidCi = r.scenarios.some((s) => s.emidCi95 !== null);
  const judgeCi = r.scenarios.some((s) => s.judge?.relativePreferenceCi95 || s.judge?.winRateCi95);
  const head =
    `<tr><th>Scenario<small>shift</small></th><th class="num">n</th><th class="num">EMI${ci(emiCi)}</th><th class="num">EMID${ci(emidCi)}</th><th class="num">p<small>EMID ≠ 0</small></th>` +
    '<th class="num">J_v</th><th class="num">J_t</th><th class="num">J_Q</th><th class="num">Bound</th><th>Holds<small>EMID ≤<br>bound</small></th>' +
    (judged ? `<th class="num">RP${ci(judgeCi)}</th><th class="num">Win rate${ci(judgeCi)}</th><th class="num">Judged<small>(failed)</small></th>` : '') +
    (simulated ? '<th class="num">Sim.<small>accuracy</small></th>' : '') +
    '</tr>';
  const body = r.scenarios
    .map((s) => {
      const cells = [
        `<td>${breakable(s.name)}<small>${MODALITY_TEXT[s.modality]}</small></td>`,
        `<td class="num">${s.n}</td>`,
        valueCell(s.emi, s.emiCi95, 3),
        valueCell(s.emid, s.emidCi95, 3),
        `<td class="num">${formatP(s.emidPValue)}</td>`,
        `<td class="num">${formatNumber(s.jsd?.visual, 4)}</td>`,
        `<td class="num">${formatNumber(s.jsd?.text, 4)}</td>`,
        `<td class="num">${formatNumber(s.jsd?.oodOutput, 4)}</td>`,
        `<td class="num">${formatNumber(s.bound, 3)}</td>`,
        holdsCell(s.boundHolds),
        judged
          ? valueCell(s.judge?.relativePreference, s.judge?.relativePreferenceCi95, 1) +
            valueCell(s.judge?.winRate, s.judge?.winRateCi95, 1) +
            `<td class="num">${s.judge ? `${s.judge.judged} (${s.judge.failed})` : '—'}</td>`
          : '',
        simulated ? `<td class="num">${formatNumber(s.simulatedAccuracy, 3)}</td>` : '',
      ];
      return `<tr${s.modality === 'id' ? ' class="id-row"' : ''}>${cells.join('')}</tr>`;
    })
    .join('');
  const note = judged ? '' : '<p class="table-note">No LLM judge ran in this study: relative preference and win rate are not available.</p>';
  return (
    `<section id="scenarios"><h2>Per-scenario results</h2>${note}` +
    `<div class="table-wrap"><table id="scenario-table"><thead>${head}</thead><tbody>${body}</tbody></table></div></section>`
  );
}

function examplesSection(r: RunResults): string {
  if (r.examples.length === 0) return '';
  const items = r.examples
    .map(
      (x) =>
        `<article class="example"><div class="meta">${e(x.scenario)} · question ${e(x.id)}</div><dl>` +
        `<dt>Question</dt><dd>${e(x.question)}</dd><dt>Model response</dt><dd class="response">${e(x.response)}</dd>` +
        `<dt>Reference response</dt><dd>${e(x.reference)}</dd></dl></article>`,
    )
    .join('');
  return `<section id="examples"><h2>Example responses</h2>${items}</section>`;
}

const GLOSSARY = `<section id="glossary"><h2>What the numbers mean</h2><dl class="glossary">
<dt>EMI (effective mutual information)</dt><dd>I(X; Ŷ) − I(X; Y): mutual information between the queries and the model’s responses minus that between the queries and the reference responses. Higher is better.</dd>
<dt>EMID</dt><dd>EMI(ID) − EMI(OOD). Positive: the model does worse on the shifted set than on the in-distribution set. p: permutation test of EMID ≠ 0.</dd>
<dt>J_v, J_t, J_P, J_Q</dt><dd>Jensen–Shannon divergences between the ID and OOD images (J_v) and questions (J_t), and between the model’s and the reference responses on the ID (J_P) and OOD (J_Q) sets.</dd>
<dt>Upper bound</dt><dd>EMID is bounded by a sum of powers of the four divergences (Oh et al., ICML 2025); the report checks EMID ≤ bound per scenario.</dd>
<dt>Relative preference, win rate</dt><dd>From an LLM judge scoring the model’s and the reference responses (LLaVA-Bench protocol): 100 · mean(model score) / mean(reference score), and the percentage of questions where the model scores higher (ties count half).</dd>
<dt>Intervals</dt><dd>95 % intervals from resampling (Bayesian bootstrap over rows for EMI and EMID, bootstrap over questions for the judge scores).</dd>
</dl></section>`;

/** The whole report page for `results`, as one self-contained HTML string. */
export function renderReportHtml(results: RunResults): string {
  const r = results;
  const title = `mllmshift report — ${r.run.name}`;
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta name="generator" content="mllmshift ${e(r.version)}">` +
    `<title>${e(title)}</title><style>${CSS}</style></head><body><main>` +
    `<header><h1>${e(title)}</h1><p class="subtitle">Distribution shift of ${e(r.run.model)} measured by EMI and EMID · results written ${e(r.created)}</p>` +
    `${simulationBanner(r)}</header>` +
    summarySection(r) +
    plotsSection(r) +
    scenarioTable(r) +
    examplesSection(r) +
    GLOSSARY +
    `<footer>Generated by mllmshift ${e(r.version)} from results.json. Method: Oh et al., “Understanding Multimodal LLMs Under Distribution Shifts: an Information-Theoretic Approach”, ICML 2025.</footer>` +
    '</main></body></html>\n'
  );
}

/**
 * Render `results` and write the page to `path` atomically (temporary file, fsync, rename),
 * creating the folder if needed; a killed process leaves either no file or the old one.
 */
export function writeReportHtml(path: string, results: RunResults): void {
  const html = renderReportHtml(results);
  try {
    writeFileAtomic(path, html);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new InputError(`${path}: cannot write the report (${code})`);
  }
}
