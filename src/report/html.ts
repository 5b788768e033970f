/**
 * The HTML report of a study (`report.html`): one self-contained static page — inline CSS,
 * inline SVG plots, no scripts, no fonts, no requests (a Content-Security-Policy of
 * `default-src 'none'` says so to the browser too). Every text taken from the results (run
 * name, scenario names, notes, questions, responses) is escaped: a response containing
 * `<script>` is shown as text.
 *
 * Sections: summary (run, how loose the bound is, correlations with their intervals), the
 * figures of plots.ts, the compact per-scenario table (tables.ts), "why it hurts" when the run
 * store is at hand (why-it-hurts.ts), example responses and a glossary (DESIGN.md §1). With
 * `report --export` the page links each figure's SVG/PNG and each table's CSV/LaTeX.
 */
import { InputError } from '../errors.js';
import type { RunResults, ScenarioResult, WhyItHurts } from './run-results.js';
import { WHY_CSS, whyItHurtsHtml } from './why-it-hurts-html.js';
import { escapeHtml } from './escape.js';
import { formatNumber } from './html-format.js';
import { boundLooseness, chooseOutcome, correlationText, emiScatterSvg, emiUnitLabel, emidBoundSvg, emidByScenarioSvg, emidHeatmapSvg, gridKind, jsdBarsSvg, type Drawn } from './plots.js';
import { correlationTable, loosenessText, scenarioTable, tableHtml } from './tables.js';
import { writeFileAtomic } from '../io/atomic-write.js';

export const REPORT_CSS = `
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
.verdict.neutral { background: var(--soft); border: 1px solid var(--line); font-weight: 500; }
table.compact { font-size: 12px; }
table.compact td, table.compact th { padding: 3px 5px; white-space: nowrap; }
table.compact thead th { white-space: normal; vertical-align: bottom; }
table.compact td:first-child { max-width: 220px; overflow: hidden; text-overflow: ellipsis; }
.ci { color: var(--muted); font-size: 11px; }
.exports { font-size: 12.5px; font-weight: 400; margin-left: 8px; }
.exports a { color: var(--accent); }
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
  if (violated.length === 0) {
    return `<p class="verdict neutral" id="bound-verdict">${e(loosenessText(r))}. A bound this far above EMID says little about any one scenario; what the paper uses is its correlation with EMID across scenarios.</p>`;
  }
  const names = violated.map((s) => e(s.name)).join(', ');
  return `<div class="verdict bad" id="bound-verdict">EMID ≤ upper bound did not hold everywhere: violated in ${violated.length} of ${ood.length} OOD scenarios${names ? ` (${names})` : ''}. ${e(loosenessText(r))}.</div>`;
}

function headline(r: RunResults): string {
  const parts: string[] = [];
  const eb = r.correlations.emidVsBound;
  if (eb.pearson.r !== null) parts.push(`EMID against its upper bound over the OOD scenarios: ${e(correlationText(eb))}.`);
  const outcome = chooseOutcome(r);
  if (outcome && outcome.correlation && outcome.correlation.pearson.r !== null) {
    const what = outcome.kind === 'relativePreference' ? 'the judge’s relative preference score' : 'the simulated model’s known accuracy';
    parts.push(`EMI against ${what}: ${e(correlationText(outcome.correlation))}.`);
  }
  const acc = r.correlations.emiVsSimulatedAccuracy;
  if (outcome?.kind === 'relativePreference' && acc && acc.spearman.rho !== null) {
    parts.push(`EMI against the simulated model’s known accuracy: ${e(correlationText(acc))}.`);
  }
  return parts.length > 0 ? `<p id="headline">${parts.join(' ')}</p>` : '';
}

/** Links to a figure's or table's exported files (`report --export`), relative to the page. */
function exportLinks(prefix: string | undefined, stem: string, kinds: readonly string[]): string {
  if (prefix === undefined) return '';
  return `<span class="exports">${kinds.map((k) => `<a href="${e(`${prefix}${stem}.${k}`)}">${k.toUpperCase()}</a>`).join(' · ')}</span>`;
}

export interface ReportOptions {
  /** Folder of `report --export`, relative to the page and ending in "/": the page links each figure's and table's files. */
  readonly exportPrefix?: string;
  /** The samples with the largest drop per scenario (pipeline/why-it-hurts.ts), when the run store was at hand. */
  readonly whyItHurts?: WhyItHurts | null;
}

function summarySection(r: RunResults, o: ReportOptions): string {
  const ood = oodScenarios(r);
  const nul = r.JSD_null;
  const facts: [string, string][] = [
    ['Model', e(r.run.model)],
    ['ID scenario', e(r.run.idScenario)],
    ['Scenarios', `${ood.length} OOD + ${r.scenarios.length - ood.length} ID`],
    ['Encoders', e(r.run.encoders)],
    ['MI estimator', `${e(r.run.estimator)} — EMI in ${e(emiUnitLabel(r))}`],
    ['Upper bound', `${e(r.run.bound)}: ${boundFormula(r.run.bound)}`],
    ['JSD mixture', e(r.run.jsdMixture)],
    [
      'JSD null baseline',
      nul
        ? `J_v ${formatNumber(nul.visual, 4)}, J_t ${formatNumber(nul.text, 4)}, responses ${formatNumber(nul.output, 4)} (two random halves of the ID set, ${formatNumber(nul.halfSize, 0)} samples each)`
        : 'not in these results',
    ],
  ];
  const notes = r.run.notes.length > 0 ? `<h3>Notes</h3><ul class="notes">${r.run.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : '';
  const corr = correlationTable(r);
  return (
    '<section id="summary"><h2>Summary</h2>' +
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>` +
    boundVerdict(r) +
    headline(r) +
    `<h3>Correlations across scenarios${exportLinks(o.exportPrefix, corr.id, ['csv', 'tex'])}</h3><div class="table-wrap">${tableHtml(corr).replace('id="table-correlations"', 'id="correlations"')}</div>` +
    '<p class="table-note">Intervals: 95 % from Fisher’s z (Bonett–Wright for Spearman ρ).</p>' +
    notes +
    '</section>'
  );
}

/** A figure of the report: what `report --export` writes as `${stem}.svg` / `.png`. */
export interface FigureSpec {
  readonly id: string;
  /** File name stem of the exports, e.g. "fig-emid-bound". */
  readonly stem: string;
  readonly title: string;
  readonly drawn: Drawn | null;
  readonly caption: string;
  /** Shown instead of the plot when there is nothing to draw. */
  readonly missing: string;
  readonly wide?: boolean;
}

function figure(f: FigureSpec, o: ReportOptions): string {
  const body = f.drawn === null ? `<p class="placeholder">${f.missing}</p>` : f.drawn.parts.map((p) => p.markup).join('');
  const links = f.drawn === null ? '' : exportLinks(o.exportPrefix, f.stem, ['svg', 'png']);
  return `<figure id="${f.id}" class="plot-card${f.wide ? ' wide' : ''}"><h3>${f.title}${links ? ` ${links}` : ''}</h3>${body}<figcaption>${f.caption}</figcaption></figure>`;
}

/** Every figure of the report, in page order. */
export function reportFigures(r: RunResults): FigureSpec[] {
  const outcome = chooseOutcome(r);
  const simulatedAxis = outcome?.kind === 'simulatedAccuracy';
  const emiBars = r.scenarios.some((s) => s.emiCi95 !== null || (!simulatedAxis && s.judge?.relativePreferenceCi95));
  const emidBars = r.scenarios.some((s) => s.emidCi95 !== null);
  const ood = oodScenarios(r).filter((s) => s.emid !== null && s.bound !== null).length;
  const emiDrawn = emiScatterSvg(r);
  const boundDrawn = emidBoundSvg(r);
  const labelled = (d: Drawn | null, n: number): string => (d && d.labelled !== undefined && d.labelled < n ? ` ${d.labelled} of ${n} points carry a label (the others would overlap; hover a point for its name).` : '');
  const unit = r.run.emiUnit === 'nats' ? '' : ' EMI and EMID are CLUB estimates from the paper’s estimator: a monotone score, not calibrated nats (its log-variance is bounded, so the absolute values are not information in nats; their order and correlations are what carry meaning).';
  const unplaced = oodScenarios(r).filter((s) => s.visualShift === null && s.textShift === null).length;
  const l = boundLooseness(r);
  return [
    {
      id: 'plot-emid-bound',
      stem: 'fig-emid-bound',
      title: 'EMID vs its upper bound',
      drawn: boundDrawn,
      caption:
        `One point per OOD scenario, EMID and bound each on its own scale (on a common scale EMID would be a flat line at zero: ${l ? `the bound is ${formatNumber(l.median, 0)}× |EMID| at the median` : 'the bound is far larger'}). ` +
        `Red dashed line: least-squares fit of EMID on the bound. Bound: ${boundFormula(r.run.bound)}${emidBars ? '; grey bars: 95 % intervals of EMID' : ''}. Labels: see the per-scenario table.` +
        labelled(boundDrawn, ood) + unit,
      missing: 'No OOD scenario with EMID and bound in these results.',
    },
    {
      id: 'plot-emi',
      stem: 'fig-emi-outcome',
      title: simulatedAxis ? 'EMI vs simulated accuracy' : 'EMI vs relative preference',
      drawn: emiDrawn,
      caption:
        (simulatedAxis
          ? 'No LLM judge scored the answers against a real reference, so EMI is set against the simulated model’s known accuracy. '
          : 'Relative preference = 100 · mean(model score) / mean(reference score) from the LLM judge. ') +
        `One point per scenario; red dashed line: least-squares fit${emiBars ? '; grey bars: 95 % intervals' : ''}.` + labelled(emiDrawn, r.scenarios.length),
      missing: r.run.source === 'run' ? 'No judge scores (relative preference) or simulated accuracy in these results.' : 'These results hold no judge scores, so there is no EMI-vs-preference plot.',
    },
    {
      id: 'plot-emid-scenarios',
      stem: 'fig-emid-by-scenario',
      title: 'EMID per scenario, ordered by its bound',
      drawn: emidByScenarioSvg(r),
      caption: `EMID on its own scale${emidBars ? ' with its 95 % interval' : ''}, one row per OOD scenario, largest bound first; right: the bound and bound/|EMID|. Blue: EMID ≤ bound; red: violated.`,
      missing: 'No OOD scenario with EMID and bound in these results.',
      wide: true,
    },
    {
      id: 'plot-heatmap',
      stem: 'fig-emid-grid',
      title: gridKind(r) === 'natural' ? 'EMID over image source × question language' : 'EMID over the image × text shift grid',
      drawn: emidHeatmapSvg(r),
      caption:
        'EMID = EMI(ID) − EMI(OOD) per scenario, rows and columns in the paper’s order (severity ascending; COCO, then in-the-wild easy/normal/hard; languages as the paper lists them). Hover a cell for the scenario name.' +
        (unplaced > 0 ? ` ${unplaced} OOD scenario${unplaced === 1 ? '' : 's'} without shift labels ${unplaced === 1 ? 'is' : 'are'} not shown.` : ''),
      missing: 'The scenarios carry no visual/text shift labels (custom sets), so there is no grid to draw.',
      wide: true,
    },
    {
      id: 'plot-jsd',
      stem: 'fig-jsd',
      title: 'Jensen–Shannon divergences per scenario',
      drawn: jsdBarsSvg(r),
      caption:
        'J_v and J_t: shift of the images and questions from the ID set; J_Q: divergence between the model’s and the reference responses on the OOD set. ' +
        (r.JSD_null ? 'Dashed lines: the same divergences between two random halves of the ID set (null baseline), in the colour of each term. ' : '') +
        `J_P (ID responses, the same for every scenario) = ${formatNumber(firstIdOutput(r), 4)}.`,
      missing: r.run.source === 'authors' ? 'The authors’ result files hold no JSD terms.' : 'No JSD terms in these results.',
      wide: true,
    },
  ];
}

function plotsSection(r: RunResults, o: ReportOptions): string {
  return `<section id="plots"><h2>Plots</h2><div class="plots">${reportFigures(r).map((f) => figure(f, o)).join('')}</div></section>`;
}

function firstIdOutput(r: RunResults): number | null {
  return r.scenarios.find((s) => s.jsd !== null)?.jsd?.idOutput ?? null;
}

function scenarioSection(r: RunResults, o: ReportOptions): string {
  const t = scenarioTable(r);
  const sameN = r.run.source !== 'authors' && new Set(r.scenarios.map((s) => s.n)).size === 1;
  const judged = r.scenarios.some((s) => s.judge !== null);
  const note = judged ? '' : '<p class="table-note">No LLM judge scores in these results: relative preference and win rate are not available.</p>';
  return (
    `<section id="scenarios"><h2>Per-scenario results${exportLinks(o.exportPrefix, t.id, ['csv', 'tex'])}</h2>${note}` +
    `<p class="table-note">Scenario names without their “llava_bench_” prefix (the full name on hover); Label: the short name used in the plots; Holds: EMID ≤ bound. ` +
    `Intervals in brackets: 95 % (those of EMI and the win rate are in the CSV and LaTeX exports).${sameN ? ` n = ${r.scenarios[0].n} samples in every scenario.` : ''}</p>` +
    `<div class="table-wrap">${tableHtml(t, { shortName: true }).replace('id="table-scenarios"', 'id="scenario-table"')}</div></section>`
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
export function renderReportHtml(results: RunResults, options: ReportOptions = {}): string {
  const r = results;
  const title = `mllmshift report — ${r.run.name}`;
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta name="generator" content="mllmshift ${e(r.version)}">` +
    `<title>${e(title)}</title><style>${REPORT_CSS}${options.whyItHurts ? WHY_CSS : ''}</style></head><body><main>` +
    `<header><h1>${e(title)}</h1><p class="subtitle">Distribution shift of ${e(r.run.model)} measured by EMI and EMID · results written ${e(r.created)}</p>` +
    `${simulationBanner(r)}</header>` +
    summarySection(r, options) +
    plotsSection(r, options) +
    scenarioSection(r, options) +
    (options.whyItHurts ? whyItHurtsHtml(options.whyItHurts, r) : '') +
    examplesSection(r) +
    GLOSSARY +
    `<footer>Generated by mllmshift ${e(r.version)} from ${r.run.source === 'run' ? 'results.json' : r.run.source === 'emid' ? '`emid --json` output' : 'the authors’ result file'}. Method: Oh et al., “Understanding Multimodal LLMs Under Distribution Shifts: an Information-Theoretic Approach”, ICML 2025.</footer>` +
    '</main></body></html>\n'
  );
}

/**
 * Render `results` and write the page to `path` atomically (temporary file, fsync, rename),
 * creating the folder if needed; a killed process leaves either no file or the old one.
 */
export function writeReportHtml(path: string, results: RunResults, options: ReportOptions = {}): void {
  const html = renderReportHtml(results, options);
  try {
    writeFileAtomic(path, html);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new InputError(`${path}: cannot write the report (${code})`);
  }
}
