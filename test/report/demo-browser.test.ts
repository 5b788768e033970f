/**
 * The demo's run in headless Chromium: its report (figures' scales, axis titles and order;
 * "why it hurts" with thumbnails, ranked by the judge's drop), and `serve`'s explorer over its
 * run store (keyboard navigation, filter and sort, plot points that select a scenario, every
 * shift of a sample at once, a hostile `<script>` answer that stays text, path checks). One
 * small demo (the demo test's settings) serves both tests. Needs /usr/bin/chromium (.ci/run
 * installs it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runDemo } from '../../src/demo/demo.js';
import { renderReportHtml } from '../../src/report/html.js';
import { PLOT_CLASS } from '../../src/report/plots.js';
import type { RunResults } from '../../src/report/run-results.js';
import { startExplorer } from '../../src/pipeline/explorer.js';
import { tempDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const SCENARIOS = ['llava_bench_coco', 'llava_bench_coco_frost_5_KeyboardAug_3', 'llava_bench_coco_sr_7', 'llava_bench_coco_defocus_blur_5'];
const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> hostile answer';

// Made at the top level: tempDir's clean-up then runs when the file ends, not after before().
const dir = tempDir('mllmshift-demo-browser-');
let runDir = '';
let results: RunResults;
let browser: Browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: install Debian's chromium (.ci/run does this)`);
  const out = await runDemo({ outDir: dir, log: () => {}, progress: false, renderReport: renderReportHtml, scenes: 3, epochs: 3, resamples: 20, scenarios: SCENARIOS });
  results = out.results;
  runDir = out.outDir;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
});

async function watched(page: Page): Promise<{ problems: string[]; requests: string[]; dialogs: string[] }> {
  const w = { problems: [] as string[], requests: [] as string[], dialogs: [] as string[] };
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') w.problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
  page.on('request', (r) => w.requests.push(r.url()));
  page.on('dialog', (d) => { w.dialogs.push(d.message()); void d.dismiss(); });
  return w;
}

/** The page's document, for functions that run in the page (the test has no DOM types; the CSP forbids string eval). */
type PageDoc = { getElementById(id: string): { textContent: string | null; value?: string } | null; activeElement: { id: string } | null; querySelectorAll(s: string): ArrayLike<{ complete: boolean }> };

const texts = (page: Page, sel: string): Promise<string[]> => page.locator(sel).allTextContents();

test("the demo's report in Chromium: scales, axis titles and order of the figures; why it hurts ranked by the judge's drop", { timeout: 300_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const w = await watched(page);
  const url = pathToFileURL(join(runDir, 'report.html')).href;
  await page.goto(url);
  assert.deepEqual(w.problems, []);
  assert.deepEqual(w.requests, [url], 'no request beyond the page (thumbnails are data: URIs)');

  const ood = results.scenarios.filter((s) => s.emid !== null);
  const bound = `#plot-emid-bound svg.${PLOT_CLASS}`;
  const all = await texts(page, `${bound} text`);
  assert.ok(all.includes('Upper bound on EMID (scale-adjusted, own scale)'), 'x axis title');
  assert.ok(all.includes('EMID (CLUB score, not calibrated nats)'), 'y axis title: honest units');
  // EMID on its own scale: the y ticks span the EMID values, not the bound's 0…2 range.
  const yTicks = (await texts(page, `${bound} g[aria-label="y-axis tick label"] text`)).map((t) => Number(t.replace('−', '-')));
  const emids = ood.map((s) => s.emid as number);
  const bounds = ood.map((s) => s.bound as number);
  const span = Math.max(...emids) - Math.min(...emids);
  assert.ok(Math.max(...yTicks) - Math.min(...yTicks) < 3 * span + 0.02, `y ticks ${yTicks} for EMID ${emids}`);
  assert.ok(Math.max(...yTicks) < Math.min(...bounds), 'the bound is not on the y axis');
  const xTicks = (await texts(page, `${bound} g[aria-label="x-axis tick label"] text`)).map(Number);
  assert.ok(Math.min(...xTicks) >= Math.min(...bounds) - 0.2 * (Math.max(...bounds) - Math.min(...bounds)) - 0.05, `x ticks ${xTicks} around the bounds ${bounds}`);
  assert.equal(await page.locator(`${bound} circle`).count(), ood.length);
  assert.ok(all.some((t) => t.startsWith('Pearson r = ')), 'r with its interval in the figure');

  // The grid in the paper's order with the synthetic grid's titles.
  const heat = `#plot-heatmap svg.${PLOT_CLASS}`;
  assert.deepEqual(await texts(page, `${heat} g[aria-label="y-axis tick label"] text`), ['none', 'defocus_blur 5', 'frost 5']);
  assert.deepEqual(await texts(page, `${heat} g[aria-label="x-axis tick label"] text`), ['none', 'sr 7', 'KeyboardAug 3']);
  const heatText = await texts(page, `${heat} text`);
  assert.ok(heatText.includes('Image corruption, severity') && heatText.includes('Text perturbation, level'));
  // EMID per scenario: rows by bound, largest first.
  const rows = await texts(page, `#plot-emid-scenarios svg.${PLOT_CLASS} g[aria-label="y-axis tick label"] text`);
  const byBound = [...ood].sort((a, b) => (b.bound as number) - (a.bound as number)).map((s) => s.name.replace(/^llava_bench_/, ''));
  assert.deepEqual(rows.map((t) => t.trim().split(/\s+/)[1]), byBound);
  // The table in the paper's order.
  assert.deepEqual(await page.locator('#scenario-table tbody tr td:first-child').evaluateAll((tds) => tds.map((td) => td.getAttribute('title'))), ['llava_bench_coco', 'llava_bench_coco_sr_7', 'llava_bench_coco_defocus_blur_5', 'llava_bench_coco_frost_5_KeyboardAug_3']);
  assert.ok((await page.locator('#bound-verdict').textContent())?.includes('at the median'), 'looseness stated');

  // Why it hurts: per scenario, drops in descending order and equal to the judge's scores in the store.
  const db = new Database(join(runDir, 'run.sqlite'), { readonly: true });
  const details = page.locator('#why details');
  assert.equal(await details.count(), ood.length);
  for (let k = 0; k < ood.length; k++) {
    const scenario = (await details.nth(k).getAttribute('data-scenario')) as string;
    const items = details.nth(k).locator('article.hurt');
    const shown: number[] = [];
    for (let i = 0; i < (await items.count()); i++) {
      const id = (await items.nth(i).getAttribute('data-sample')) as string;
      const meta = (await items.nth(i).locator('.meta').textContent()) ?? '';
      shown.push(Number(/drop (-?[\d.]+)/.exec(meta)?.[1]));
      const score = (sc: string): number => (db.prepare('SELECT model_score AS s FROM reviews WHERE scenario = ? AND sample_id = ?').get(sc, id) as { s: number }).s;
      assert.equal(shown[i], score('llava_bench_coco') - score(scenario), `${scenario} ${id}`);
    }
    assert.ok(shown.length > 0 && shown.every((v, i) => i === 0 || shown[i - 1] >= v), `${scenario}: largest drop first (${shown})`);
  }
  db.close();
  const open = page.locator('#why details[open] img');
  await open.first().scrollIntoViewIfNeeded();
  const sizes = await open.evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
  assert.ok(sizes.length >= 2 && sizes.every((n) => n > 0), `thumbnails decoded: ${sizes}`);
  await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
  await page.close();
});

test('serve: the explorer over the demo run in Chromium — keyboard, filter, sort, plot points, every shift at once, hostile text, path checks', { timeout: 300_000 }, async () => {
  // A hostile answer in one scenario, and a sample whose recorded image lies outside the run folder.
  const db = new Database(join(runDir, 'run.sqlite'));
  const victim = (db.prepare("SELECT sample_id AS id FROM samples WHERE scenario = 'llava_bench_coco_sr_7' ORDER BY sample_id LIMIT 1").get() as { id: string }).id;
  db.prepare("UPDATE responses SET text = ? WHERE scenario = 'llava_bench_coco_sr_7' AND sample_id = ? AND role = 'model'").run(HOSTILE, victim);
  db.prepare("UPDATE samples SET image = '/etc/hostname' WHERE scenario = 'llava_bench_coco_defocus_blur_5' AND sample_id = ?").run(victim);
  db.close();

  const explorer = await startExplorer(runDir, 0);
  try {
    const origin = explorer.url.replace(/\/$/, '');
    // Path checks, straight over HTTP.
    const status = async (path: string, init?: RequestInit): Promise<number> => (await fetch(origin + path, init)).status;
    assert.equal(await status('/'), 200);
    assert.equal(await status('/run.sqlite'), 404);
    assert.equal(await status('/data/'), 404, 'no directory listing');
    assert.equal(await status('/../results.json'), 404);
    assert.equal(await status(`/image?scenario=llava_bench_coco&id=${encodeURIComponent(victim)}`), 200);
    assert.equal(await status(`/image?scenario=llava_bench_coco_defocus_blur_5&id=${encodeURIComponent(victim)}`), 404, 'an image outside the run folder is not served');
    assert.equal(await status('/image?scenario=../../etc&id=passwd'), 404);
    assert.equal(await status('/api/sample?id=nope'), 404);
    assert.equal(await status('/api/run', { method: 'POST' }), 405);
    const csp = (await fetch(origin + '/')).headers;
    assert.equal(csp.get('x-content-type-options'), 'nosniff');

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const w = await watched(page);
    await page.goto(explorer.url);
    await page.waitForSelector('#samples li');
    const scenario = page.locator('#scenario');
    assert.equal(await scenario.inputValue(), 'llava_bench_coco_sr_7', 'the first OOD scenario in the paper\'s order');
    // The list is ranked by drop, largest first.
    const drops = async (): Promise<number[]> => (await texts(page, '#samples li .d')).map((t) => Number(t.replace(/^drop /, '')));
    const d0 = await drops();
    assert.ok(d0.length === 9 && d0.every((v, i) => i === 0 || d0[i - 1] >= v), `ranked: ${d0}`);

    // Keyboard: focus the list, move down twice and up once, open with Enter.
    await page.locator('#samples').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('j');
    await page.keyboard.press('ArrowUp');
    const ids = await page.locator('#samples li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-id')));
    assert.equal(await page.locator('#samples li[aria-selected="true"]').getAttribute('data-id'), ids[0]);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.view');
    assert.equal(await page.locator('#sample-title').textContent(), `Sample ${ids[1]} under every shift`);
    assert.deepEqual(await page.locator('.view').evaluateAll((v) => v.map((x) => x.getAttribute('data-scenario'))), results.scenarios.map((s) => s.name), 'every scenario of the grid at once');
    assert.equal(await page.locator('.view.current').getAttribute('data-scenario'), 'llava_bench_coco_sr_7');

    // Filter and sort.
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: PageDoc }).document.activeElement?.id), 'filter');
    await page.keyboard.type(victim);
    assert.deepEqual(await page.locator('#samples li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-id'))), [victim]);
    await page.locator('#filter').fill('');
    await page.locator('#sort').selectOption('id');
    const sorted = await page.locator('#samples li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-id') as string));
    assert.deepEqual(sorted, [...sorted].sort((a, b) => a.localeCompare(b)));

    // The hostile answer, opened by keyboard from the list: shown as text, nothing runs.
    await page.locator('#samples').focus();
    const at = sorted.indexOf(victim);
    for (let i = 0; i <= at; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => (globalThis as unknown as { document: PageDoc }).document.getElementById('sample-title')?.textContent?.includes(id) ?? false, victim);
    const answer = page.locator('.view[data-scenario="llava_bench_coco_sr_7"] .response');
    assert.equal(await answer.textContent(), HOSTILE);
    await answer.scrollIntoViewIfNeeded();
    assert.ok(await answer.isVisible());
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('script').count(), 1, 'only the page\'s own script');
    assert.equal(await page.locator('.view img[src="x"]').count(), 0);
    // Its images: every shift's image loaded, except the one outside the run folder.
    await page.waitForFunction(() => Array.from((globalThis as unknown as { document: PageDoc }).document.querySelectorAll('.view img')).every((i) => i.complete));
    const loaded = await page.locator('.view img').evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0));
    assert.deepEqual(loaded, [true, true, true], 'ID, sr_7, frost_5_KeyboardAug_3 (defocus_blur_5 was refused)');
    assert.equal(await page.locator('.view[data-scenario="llava_bench_coco_defocus_blur_5"] .k').first().textContent(), '(image not available)');
    await page.screenshot({ path: join(dir, 'explorer.png'), fullPage: true });

    // A point of the plot selects its scenario (mouse and keyboard).
    const dots = page.locator('#figure g[aria-label="dot"] circle');
    assert.equal(await dots.count(), 3);
    const names = ((await (await fetch(origin + '/api/run')).json()) as { figure: { dots: string[] } }).figure.dots;
    await dots.nth(2).click();
    await page.waitForFunction((n) => (globalThis as unknown as { document: PageDoc }).document.getElementById('scenario')?.value === n, names[2]);
    // The list takes the focus once the scenario's samples are loaded.
    await page.waitForFunction(() => (globalThis as unknown as { document: PageDoc }).document.activeElement?.id === 'samples');
    await dots.nth(1).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => (globalThis as unknown as { document: PageDoc }).document.getElementById('scenario')?.value === n, names[1]);

    const foreign = w.requests.filter((u) => !u.startsWith(origin));
    assert.deepEqual(foreign, [], 'no request leaves the explorer');
    assert.deepEqual(w.problems.filter((p) => !p.includes('404')), []);
    assert.equal(w.problems.length, 1, `one 404: the refused image (${w.problems})`);
    assert.deepEqual(w.dialogs, []);
    await page.close();
  } finally {
    await explorer.close();
  }
});
