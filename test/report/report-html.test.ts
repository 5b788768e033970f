import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHTML } from 'linkedom';
import { renderReportHtml, writeReportHtml } from '../../src/report/html.js';
import { escapeHtml } from '../../src/report/escape.js';
import { formatInterval, formatNumber, formatP, pClause } from '../../src/report/html-format.js';
import { correlationText, leastSquares, PLOT_CLASS } from '../../src/report/plots.js';
import { parseRunResults, readRunResults } from '../../src/report/run-results-schema.js';
import type { RunResults, ScenarioResult } from '../../src/report/run-results.js';
import { correlationCi95 } from '../../src/core/stats.js';
import { InputError } from '../../src/errors.js';
import { makeRunResults, XSS_RESPONSE, XSS_SCENARIO } from './report-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import { runCliAsync } from '../helpers/cli.js';

const PLOT_IDS = ['plot-emid-bound', 'plot-emi', 'plot-emid-scenarios', 'plot-heatmap', 'plot-jsd'];

function inputError(re: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof InputError && re.test(e.message);
}

type Doc = ReturnType<typeof parseHTML>['document'];
type Element = NonNullable<ReturnType<Doc['querySelector']>>;

function dom(html: string): Doc {
  return parseHTML(html).document;
}

/** The plot's own SVG (not its legends' swatches). */
function mainSvg(doc: Doc, id: string): Element | null {
  return doc.querySelector(`#${id} svg.${PLOT_CLASS}`);
}

test('escapeHtml: the five special characters, nothing else', () => {
  assert.equal(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
  assert.equal(escapeHtml('plain text, ÄÖÜ 日本'), 'plain text, ÄÖÜ 日本');
  assert.equal(escapeHtml('&amp;'), '&amp;amp;');
});

test('number formatting: fixed decimals, p-values, missing values', () => {
  assert.equal(formatNumber(0.12345, 3), '0.123');
  assert.equal(formatNumber(-0.0001, 3), '0.000');
  assert.equal(formatNumber(-0.25, 2), '-0.25');
  assert.equal(formatNumber(null, 3), '—');
  assert.equal(formatNumber(Number.NaN, 3), '—');
  assert.equal(formatP(0.0423), '0.042');
  assert.equal(formatP(3.2e-5), '3e-5');
  assert.equal(formatP(0), '< 1e-16');
  assert.equal(formatP(null), '—');
  assert.equal(pClause(0.5), 'p = 0.500');
  assert.equal(pClause(0), 'p < 1e-16');
  assert.equal(formatInterval([0.1, 0.25], 2), '[0.10, 0.25]');
  assert.equal(formatInterval(null, 2), '');
});

test('leastSquares: exact line, noisy line against a hand computation, no spread', () => {
  const exact = leastSquares([0, 1, 2, 3], [1, 3, 5, 7]);
  assert.ok(exact && Math.abs(exact.slope - 2) < 1e-12 && Math.abs(exact.intercept - 1) < 1e-12);
  // x̄ = 2, ȳ = 2.4, Sxy = 2.8 − 0.6 + 0 + 0.6 + 1.2 = 4, Sxx = 10 → slope 0.4, intercept 1.6.
  const noisy = leastSquares([0, 1, 2, 3, 4], [1, 3, 2, 3, 3]);
  assert.ok(noisy && Math.abs(noisy.slope - 0.4) < 1e-12 && Math.abs(noisy.intercept - 1.6) < 1e-12);
  assert.equal(leastSquares([2, 2, 2], [1, 2, 3]), null);
  assert.equal(leastSquares([1], [1]), null);
});

test('report: model and data texts are escaped, never markup', () => {
  const html = renderReportHtml(makeRunResults());
  assert.ok(!/<script/i.test(html), 'no <script> element anywhere');
  assert.ok(html.includes(escapeHtml(XSS_RESPONSE)), 'the response is shown escaped');
  assert.ok(!html.includes('<img'), 'the scenario name with <img> stays text');
  assert.ok(html.includes(escapeHtml(XSS_SCENARIO)));
  assert.ok(html.includes('What is on the &lt;table&gt;?'));
  assert.ok(html.includes('Responses judged with &lt;judge-model&gt; &amp; rules v1.'));
  const doc = dom(html);
  assert.equal(doc.querySelectorAll('script, img, iframe, object, embed, link').length, 0);
  const responses = [...doc.querySelectorAll('.response')].map((el) => el.textContent);
  assert.ok(responses.includes(XSS_RESPONSE), 'the DOM text is the original response');
});

test('report: hostile texts inside the plots (scenario names, run name) are escaped too', () => {
  const base = makeRunResults();
  const hostile = '<script>alert(3)</script>';
  const scenarios = base.scenarios.map((s, i) => (i === 5 ? { ...s, name: `${s.name}${hostile}`, visualShift: `${s.visualShift}${hostile}` } : s));
  const html = renderReportHtml({ ...base, scenarios, run: { ...base.run, name: `run ${hostile}`, model: hostile } });
  assert.ok(!/<script/i.test(html));
  assert.ok(html.includes('run &lt;script&gt;alert(3)&lt;/script&gt;'));
});

test('report: self-contained — no scripts, no external resources, a CSP that forbids requests', () => {
  const html = renderReportHtml(makeRunResults());
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(html.includes(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`));
  assert.ok(!/https?:\/\//i.test(html), 'no absolute URL');
  assert.equal(dom(html).querySelectorAll('[src], [href], [srcset], [action]').length, 0, 'no src/href attributes');
  assert.ok(!/@import|@font-face|url\((?!#)/i.test(html), 'no CSS imports, fonts or external url()');
});

test('report: the five plots are inline SVG with their marks', () => {
  const doc = dom(renderReportHtml(makeRunResults()));
  for (const id of PLOT_IDS) assert.ok(mainSvg(doc, id), `${id} has an SVG`);
  // One dot per scenario in the EMI scatter (35), one per OOD scenario against the bound (34).
  assert.equal(mainSvg(doc, 'plot-emi')?.querySelectorAll('circle').length, 35);
  assert.equal(mainSvg(doc, 'plot-emid-bound')?.querySelectorAll('circle').length, 34);
  // EMID per scenario: one dot and one bound/ratio label per OOD scenario.
  assert.equal(mainSvg(doc, 'plot-emid-scenarios')?.querySelectorAll('circle').length, 34);
  // Heat map: the full 7 × 5 grid, the ID cell labelled "ID".
  const heat = mainSvg(doc, 'plot-heatmap') as Element;
  assert.equal(heat.querySelectorAll('g[aria-label="cell"] rect').length, 35);
  assert.ok([...heat.querySelectorAll('text')].some((t) => t.textContent === 'ID'));
  for (const label of ['defocus_blur 5', 'frost 1', 'KeyboardAug 3', 'sr 7', 'none']) {
    assert.ok([...heat.querySelectorAll('text')].some((t) => t.textContent === label), `axis label ${label}`);
  }
  assert.ok(doc.querySelector('#plot-heatmap svg.ramp-legend'), 'colour ramp legend');
  // JSD bars: 3 per OOD scenario, and the three null baselines in each of the 34 facets.
  const jsd = mainSvg(doc, 'plot-jsd') as Element;
  assert.equal(jsd.querySelectorAll('g[aria-label="bar"] rect').length, 3 * 34);
  assert.equal(jsd.querySelectorAll('g[aria-label="rule"] g[stroke-dasharray] line').length, 3 * 34);
  // The correlation with its interval is written inside the SVG (so exported figures carry it).
  const c = makeRunResults().correlations.emiVsRelativePreference;
  assert.ok([...(mainSvg(doc, 'plot-emi') as Element).querySelectorAll('text')].some((t) => t.textContent === correlationText(c)));
});

test('report: summary, correlations and the per-scenario table', () => {
  const r = makeRunResults({ violation: true });
  const doc = dom(renderReportHtml(r));
  const summary = doc.querySelector('#summary')?.textContent ?? '';
  for (const s of ['llava-v1.5-13b', 'llava_bench_coco', '34 OOD + 1 ID', 'CLIP ViT-B/32 + XLM-R embeddings', 'CLUB (trained on the run)']) assert.ok(summary.includes(s), s);
  const verdict = doc.querySelector('#bound-verdict');
  assert.ok(verdict?.classList.contains('bad'));
  assert.ok(verdict?.textContent?.includes('violated in 1 of 34 OOD scenarios (llava_bench_coco_frost_5_sr_7)'));
  assert.ok(verdict?.textContent?.includes('EMID ≤ bound in 33 of 34 OOD scenarios; the bound is '), 'how loose, not a celebration');
  assert.equal(doc.querySelector('#simulation-banner'), null);
  const corr = [...doc.querySelectorAll('#correlations tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent));
  assert.deepEqual(corr.map((c) => c[0]), ['EMID vs upper bound (OOD)', 'EMI vs relative preference', 'EMI vs win rate']);
  const eb = r.correlations.emidVsBound;
  const ebCi = correlationCi95(eb.pearson.r as number, 34, 'pearson');
  assert.deepEqual(corr[0].slice(1, 4), ['34', `${formatNumber(eb.pearson.r, 3)} ${formatInterval(ebCi, 3)}`, formatP(eb.pearson.p)]);

  const rows = [...doc.querySelectorAll('#scenario-table tbody tr')];
  assert.equal(rows.length, 35);
  const cells = (i: number): string[] => [...rows[i].children].map((c) => c.textContent ?? '');
  assert.equal(cells(0)[0], 'coco');
  assert.equal(rows[0].children[0].getAttribute('title'), 'llava_bench_coco', 'the full name on hover');
  assert.equal(cells(0)[1], 'ID');
  assert.ok(rows[0].classList.contains('id-row'));
  assert.equal(cells(0)[3], '—', 'no EMID for the ID set');
  const vi = r.scenarios.findIndex((s) => s.name === 'llava_bench_coco_frost_5_sr_7');
  const v = r.scenarios[vi];
  const row = cells(vi);
  const head = [...doc.querySelectorAll('#scenario-table thead th')].map((th) => th.textContent);
  assert.deepEqual(head, ['Scenario', 'Label', 'EMI', 'EMID', 'p (EMID≠0)', 'J_v', 'J_t', 'J_Q', 'Bound', 'Bound/|EMID|', 'Holds', 'RP (%)', 'Win rate (%)']);
  assert.ok(doc.querySelector('#scenarios')?.textContent?.includes('n = 90 samples in every scenario.'));
  assert.deepEqual(row, [
    'coco_frost_5_sr_7', 'FR5+SR7', formatNumber(v.emi, 4), `${formatNumber(v.emid, 4)} ${formatInterval(v.emidCi95, 4)}`, formatP(v.emidPValue),
    formatNumber(v.jsd?.visual, 4), formatNumber(v.jsd?.text, 4), formatNumber(v.jsd?.oodOutput, 4), formatNumber(v.bound, 3),
    formatNumber((v.bound as number) / Math.abs(v.emid as number), 0), 'no',
    `${formatNumber(v.judge?.relativePreference, 1)} ${formatInterval(v.judge?.relativePreferenceCi95, 1)}`, formatNumber(v.judge?.winRate, 1),
  ]);
  assert.equal(doc.querySelectorAll('#scenario-table td.yes').length, 33);
  assert.equal(doc.querySelectorAll('.example').length, 2);
});

test('report: the simulation banner and the simulated-accuracy fallback of plot 1', () => {
  const r = makeRunResults({ simulated: true, judge: false, accuracy: true });
  const doc = dom(renderReportHtml(r));
  const banner = doc.querySelector('#simulation-banner');
  assert.ok(banner?.textContent?.includes('This is a simulation demonstrating the pipeline.'));
  // The banner comes before the summary.
  assert.ok(renderReportHtml(r).indexOf('simulation-banner') < renderReportHtml(r).indexOf('id="summary"'));
  assert.equal(doc.querySelector('#plot-emi h3')?.textContent, 'EMI vs simulated accuracy');
  assert.equal(mainSvg(doc, 'plot-emi')?.querySelectorAll('circle').length, 35);
  assert.ok(doc.querySelector('#headline')?.textContent?.includes(`EMI against the simulated model’s known accuracy: ${correlationText(r.correlations.emiVsSimulatedAccuracy)}`));
  const corr = [...doc.querySelectorAll('#correlations tbody tr')].map((tr) => tr.children[0].textContent);
  assert.deepEqual(corr, ['EMID vs upper bound (OOD)', 'EMI vs simulated accuracy']);
  const head = [...doc.querySelectorAll('#scenario-table thead th')].map((th) => th.textContent ?? '');
  assert.ok(head.includes('Sim. accuracy') && !head.includes('RP (%)'));

  // With a judge as well (the demo's simulated judge): plot 1 shows the judge, the headline both.
  const both = makeRunResults({ simulated: true, judge: true, accuracy: true });
  const d2 = dom(renderReportHtml(both));
  assert.equal(d2.querySelector('#plot-emi h3')?.textContent, 'EMI vs relative preference');
  const rho = both.correlations.emiVsSimulatedAccuracy?.spearman.rho as number;
  assert.ok(d2.querySelector('#headline')?.textContent?.includes(`EMI against the simulated model’s known accuracy: ${correlationText(both.correlations.emiVsSimulatedAccuracy)}`));
  assert.ok(d2.querySelector('#headline')?.textContent?.includes(`Spearman ρ = ${formatNumber(rho, 3)}`));
});

test('report: missing judge, intervals and grid are handled (placeholders and dashes, no crash)', () => {
  const base = makeRunResults({ judge: false, intervals: false });
  const doc = dom(renderReportHtml(base));
  assert.equal(mainSvg(doc, 'plot-emi'), null);
  assert.ok(doc.querySelector('#plot-emi .placeholder')?.textContent?.includes('No judge scores'));
  for (const id of ['plot-emid-bound', 'plot-emid-scenarios', 'plot-heatmap', 'plot-jsd']) assert.ok(mainSvg(doc, id), id);
  assert.equal(doc.querySelectorAll('#scenario-table .ci').length, 0, 'no intervals printed');
  const head = [...doc.querySelectorAll('#scenario-table thead th')].map((th) => th.textContent ?? '');
  assert.deepEqual(head, ['Scenario', 'Label', 'EMI', 'EMID', 'J_v', 'J_t', 'J_Q', 'Bound', 'Bound/|EMID|', 'Holds'], 'no p-value or judge columns');
  assert.ok(doc.querySelector('#scenarios .table-note')?.textContent?.includes('No LLM judge scores'));
  assert.ok(!(doc.querySelector('#plot-emid-bound figcaption')?.textContent ?? '').includes('grey bars'));

  // Custom sets: no shift labels, no JSD terms, correlations undefined.
  const custom: ScenarioResult[] = base.scenarios.slice(0, 3).map((s, i) =>
    i === 0 ? s : { ...s, name: `custom_${i}`, modality: 'joint', visualShift: null, visualSeverity: null, textShift: null, textSeverity: null, jsd: null },
  );
  const none = { n: 2, pearson: { r: null, p: null }, spearman: { rho: null, p: null }, kendall: { tau: null, p: null } };
  const bare: RunResults = { ...base, scenarios: custom, correlations: { ...base.correlations, emidVsBound: none }, examples: [] };
  const d2 = dom(renderReportHtml(bare));
  assert.ok(mainSvg(d2, 'plot-emid-bound'));
  assert.equal(mainSvg(d2, 'plot-heatmap'), null);
  assert.equal(mainSvg(d2, 'plot-jsd'), null);
  assert.ok(d2.querySelector('#plot-heatmap .placeholder'));
  assert.ok(d2.querySelector('#plot-jsd .placeholder'));
  assert.ok([...(mainSvg(d2, 'plot-emid-bound') as Element).querySelectorAll('text')].some((t) => t.textContent?.includes('Pearson r not defined')));
  assert.equal(d2.querySelector('#examples'), null);
  assert.equal(d2.querySelector('#headline'), null);

  // Only the ID set: every OOD-only part is a placeholder.
  const idOnly: RunResults = { ...bare, scenarios: [base.scenarios[0]] };
  const d3 = dom(renderReportHtml(idOnly));
  for (const id of PLOT_IDS) assert.equal(mainSvg(d3, id), null, id);
  assert.equal(d3.querySelectorAll('#scenario-table tbody tr').length, 1);
});

test('report: two scenarios on one grid cell show their mean, marked; unlabelled scenarios are left out, said so', () => {
  const base = makeRunResults();
  const a = base.scenarios.find((s) => s.name === 'llava_bench_coco_frost_1') as ScenarioResult;
  const twin: ScenarioResult = { ...a, name: 'llava_bench_in_the_wild_frost_1', emid: (a.emid as number) + 0.1 };
  const doc = dom(renderReportHtml({ ...base, scenarios: [...base.scenarios, twin] }));
  const texts = [...(mainSvg(doc, 'plot-heatmap') as Element).querySelectorAll('text')].map((t) => t.textContent);
  assert.ok(texts.includes(`${formatNumber((a.emid as number) + 0.05, 3)}*`));
  assert.ok(!(doc.querySelector('#plot-heatmap figcaption')?.textContent ?? '').includes('not shown'));
  const custom: ScenarioResult = { ...a, name: 'my_custom_set', visualShift: null, visualSeverity: null, textShift: null, textSeverity: null };
  const d2 = dom(renderReportHtml({ ...base, scenarios: [...base.scenarios, custom] }));
  assert.ok(d2.querySelector('#plot-heatmap figcaption')?.textContent?.includes('1 OOD scenario without shift labels is not shown.'));
  assert.equal((mainSvg(d2, 'plot-heatmap') as Element).querySelectorAll('g[aria-label="cell"] rect').length, 35);
  assert.ok(doc.querySelector('#plot-heatmap svg.ramp-legend')?.textContent?.includes('mean of several scenarios'));
});

test('parseRunResults: accepts a results document, names the file and field of a bad one', () => {
  const r = makeRunResults();
  assert.deepEqual(parseRunResults(JSON.parse(JSON.stringify(r)), 'results.json'), r);
  const bad = JSON.parse(JSON.stringify(r));
  bad.scenarios[3].emi = null;
  assert.throws(() => parseRunResults(bad, 'out/results.json'), inputError(/^out\/results\.json \(results of `run`\/`demo`\): scenarios\.3\.emi: expected a number, found null$/));
  const bad2 = JSON.parse(JSON.stringify(r));
  bad2.run.bound = 'loose';
  assert.throws(() => parseRunResults(bad2, 'r.json'), inputError(/^r\.json \(results of `run`\/`demo`\): run\.bound: expected one of "scale-adjusted", "full", found a string "loose"$/));
  assert.throws(() => parseRunResults([], 'r.json'), inputError(/^r\.json \(results of `run`\/`demo`\): \(top level\): expected an object, found a list$/));
  assert.throws(() => parseRunResults({ ...r, scenarios: [] }, 'r.json'), inputError(/^r\.json \(results of `run`\/`demo`\): scenarios: expected at least 1 entry$/));
});

test('readRunResults: missing file and broken JSON are input errors naming the file', () => {
  const dir = tempDir();
  assert.throws(() => readRunResults(join(dir, 'nope.json')), (e: unknown) => e instanceof InputError && e.message.endsWith('nope.json: file not found'));
  writeFileSync(join(dir, 'broken.json'), '{"version": ');
  assert.throws(() => readRunResults(join(dir, 'broken.json')), (e: unknown) => e instanceof InputError && /broken\.json: not valid JSON/.test(e.message));
});

test('writeReportHtml: creates the folder, writes atomically (no temporary left), replaces an old page', () => {
  const dir = tempDir();
  const out = join(dir, 'a', 'b', 'report.html');
  writeReportHtml(out, makeRunResults());
  writeFileSync(out, 'old');
  writeReportHtml(out, makeRunResults({ simulated: true }));
  assert.ok(readFileSync(out, 'utf8').includes('simulation-banner'));
  assert.deepEqual(readdirSync(join(dir, 'a', 'b')), ['report.html']);
  assert.throws(() => writeReportHtml(join(out, 'x.html'), makeRunResults()), (e: unknown) => e instanceof InputError && e.message.includes('cannot write the report'));
});

test('mllmshift report: writes report.html next to the results (or --out), prints the path; bad input exits 2', async () => {
  const dir = tempDir();
  const file = join(dir, 'results.json');
  writeFileSync(file, JSON.stringify(makeRunResults()));
  const bad = JSON.parse(JSON.stringify(makeRunResults()));
  delete bad.correlations.emidVsBound;
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
  const out = join(dir, 'sub', 'page.html');
  // Three CLI processes at once: each spends most of its time starting up.
  const [ok, js, fail] = await Promise.all([
    runCliAsync(['report', file]),
    runCliAsync(['report', file, '--out', out, '--json']),
    runCliAsync(['report', join(dir, 'bad.json'), '--out', join(dir, 'never.html')]),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), join(dir, 'report.html'));
  assert.ok(readFileSync(join(dir, 'report.html'), 'utf8').includes('id="plot-heatmap"'));

  assert.equal(js.code, 0, js.stderr);
  assert.deepEqual(JSON.parse(js.stdout), { report: out, scenarios: 35, simulated: false, exported: [] });
  assert.ok(existsSync(out));

  assert.equal(fail.code, 2);
  assert.equal(fail.stderr, `mllmshift: ${join(dir, 'bad.json')} (results of \`run\`/\`demo\`): correlations.emidVsBound: expected an object, found nothing (the field is missing)\n`);
  assert.equal(fail.stdout, '');
  assert.ok(!existsSync(join(dir, 'never.html')));
});
