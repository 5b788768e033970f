/**
 * The report in a real browser: Debian's chromium, headless, driven by playwright-core.
 * Opened from a file:// URL with networking off, it must load without console errors or
 * requests, show its plots with a non-zero size, and keep a `<script>` response as text.
 * Without /usr/bin/chromium this test fails (it never skips): `.ci/run` installs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderReportHtml } from '../../src/report/html.js';
import { PLOT_CLASS } from '../../src/report/plots.js';
import { makeRunResults, XSS_RESPONSE } from './report-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import { needsOfficial, officialPath } from '../helpers/official.js';
import { readResultsFile } from '../../src/pipeline/results-import.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PLOTS = ['plot-emid-bound', 'plot-emi', 'plot-emid-scenarios', 'plot-heatmap', 'plot-jsd'];
const VIEWPORT = { width: 1280, height: 900 };

test('report in headless Chromium: loads offline without errors or requests, plots visible, <script> stays text', { timeout: 90_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium; .ci/run does this) — the browser test cannot run without it`);
  const dir = tempDir('mllmshift-browser-');
  const pages = {
    study: renderReportHtml(makeRunResults({ violation: true })),
    demo: renderReportHtml(makeRunResults({ simulated: true, judge: false, accuracy: true, intervals: false })),
    // The widest table: judge columns, intervals and simulated accuracy.
    wide: renderReportHtml(makeRunResults({ simulated: true, judge: true, accuracy: true })),
  };
  const userData = join(dir, 'profile');
  mkdirSync(userData);
  const context = await chromium.launchPersistentContext(userData, { executablePath: CHROMIUM, args: ARGS, viewport: VIEWPORT, offline: true });
  try {
    for (const [name, html] of Object.entries(pages)) {
      const file = join(dir, `${name}.html`);
      writeFileSync(file, html);
      const url = pathToFileURL(file).href;
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      const dialogs: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('request', (r) => requests.push(r.url()));
      page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
      const response = await page.goto(url, { waitUntil: 'load' });
      assert.ok(response === null || response.ok(), `${name}: loads`);

      assert.deepEqual(problems, [], `${name}: no console errors or warnings`);
      assert.deepEqual(requests, [url], `${name}: no request beyond the page itself`);

      for (const id of PLOTS) {
        const svg = page.locator(`#${id} svg.${PLOT_CLASS}`);
        assert.equal(await svg.count(), 1, `${name}: ${id} rendered`);
        await svg.scrollIntoViewIfNeeded();
        assert.ok(await svg.isVisible(), `${name}: ${id} visible`);
        const box = await svg.boundingBox();
        assert.ok(box && box.width > 200 && box.height > 150, `${name}: ${id} has a real size (${JSON.stringify(box)})`);
        // Marks were drawn: the plot is not just axes.
        assert.ok((await svg.locator('circle, rect').count()) > 10, `${name}: ${id} has marks`);
      }

      const dom = {
        scripts: await page.locator('script').count(),
        images: await page.locator('img').count(),
        responses: await page.locator('.response').allTextContents(),
        overflow: await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
        tableOverflow: await page.evaluate(`Math.max(...[...document.querySelectorAll('.table-wrap')].map((el) => el.scrollWidth - el.clientWidth))`),
        banner: (await page.locator('#simulation-banner').count()) === 1,
        fontSize: await page.evaluate('getComputedStyle(document.body).fontSize'),
      };
      assert.equal(dom.scripts, 0, `${name}: no script element`);
      assert.equal(dom.images, 0, `${name}: the <img> in a scenario name stays text`);
      assert.ok(dom.responses.includes(XSS_RESPONSE), `${name}: the <script> response is in the DOM as text`);
      assert.equal(dom.overflow, 0, `${name}: nothing wider than the window`);
      assert.equal(dom.tableOverflow, 0, `${name}: the tables fit without scrolling`);
      assert.equal(dom.banner, name !== 'study', `${name}: simulation banner only for simulations`);
      assert.equal(dom.fontSize, '15px');
      await page.getByText('<script>alert(1)</script>', { exact: false }).first().scrollIntoViewIfNeeded();
      assert.ok(await page.getByText('<script>alert(1)</script>', { exact: false }).first().isVisible(), `${name}: the response text is visible`);
      assert.deepEqual(dialogs, [], `${name}: no dialog fired`);
      await page.close();
    }
  } finally {
    await context.close();
  }
});

const NATURAL = 'results/pairs-NATURAL-ALL-llava-v1.5-13b-CLUB_global.json';

test("the authors' natural-grid result file in Chromium: EMID and bound on their own scales, the grid's titles and the paper's order", { ...needsOfficial(NATURAL), timeout: 90_000 }, async () => {
  const r = readResultsFile(officialPath(NATURAL));
  const dir = tempDir('mllmshift-browser-authors-');
  const file = join(dir, 'authors.html');
  writeFileSync(file, renderReportHtml(r));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
    await page.goto(pathToFileURL(file).href);
    assert.deepEqual(problems, []);
    const heat = `#plot-heatmap svg.${PLOT_CLASS}`;
    assert.deepEqual(await page.locator(`${heat} g[aria-label="y-axis tick label"] text`).allTextContents(), ['COCO', 'in-the-wild easy', 'in-the-wild normal', 'in-the-wild hard']);
    assert.deepEqual(await page.locator(`${heat} g[aria-label="x-axis tick label"] text`).allTextContents(), ['English', 'German', 'Chinese', 'Korean', 'Greek', 'Arabic', 'Hindi']);
    const heatText = await page.locator(`${heat} text`).allTextContents();
    assert.ok(heatText.includes('Images (LLaVA-Bench split)') && heatText.includes('Question language') && !heatText.includes('Image corruption, severity'));
    const bound = `#plot-emid-bound svg.${PLOT_CLASS}`;
    const y = (await page.locator(`${bound} g[aria-label="y-axis tick label"] text`).allTextContents()).map((t) => Number(t.replace('−', '-')));
    const x = (await page.locator(`${bound} g[aria-label="x-axis tick label"] text`).allTextContents()).map(Number);
    // Published: EMID −0.007…0.166, bound 1.65…2.21 — each axis spans its own quantity.
    assert.ok(Math.min(...y) >= -0.05 && Math.max(...y) <= 0.2, `y ticks ${y}`);
    assert.ok(Math.min(...x) >= 1.5 && Math.max(...x) <= 2.3, `x ticks ${x}`);
    const svgText = await page.locator(`${bound} text`).allTextContents();
    assert.ok(svgText.some((t) => t.startsWith('Pearson r = 0.876 [')), 'the published r with its interval');
    // Every point visible inside the frame, and the labelled ones do not overlap.
    const boxes = await page.locator(`${bound} g[aria-label="text"] text`).evaluateAll((ts) => ts.map((t) => { const b = t.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }));
    const labels = boxes.filter((b) => b[2] - b[0] < 120);
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
      const [a, b] = [labels[i], labels[j]];
      assert.ok(!(a[0] < b[2] - 1 && b[0] < a[2] - 1 && a[1] < b[3] - 1 && b[1] < a[3] - 1), `labels ${i} and ${j} overlap`);
    }
    assert.ok(labels.length >= 20, `${labels.length} of 27 points labelled`);
  } finally {
    await browser.close();
  }
});
