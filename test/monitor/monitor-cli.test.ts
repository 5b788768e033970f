/**
 * `mllmshift monitor CONFIG` end to end on a generated log (count windows, OpenAI format with
 * image files and a few malformed lines), a reference model and a webhook served by the test
 * on 127.0.0.1: the injected shift alerts (exit 3, JSON lines on stdout, one webhook POST per
 * alert), the stationary windows do not, malformed lines are reported and counted; a rerun
 * continues from the stored state (nothing analysed again, exit 0, no new reference
 * requests); the dashboard passes the browser test (headless Chromium, offline).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { Rng } from '../../src/core/random.js';
import { openAiLogLine } from '../../src/monitor/ingest-openai.js';
import { PLOT_CLASS } from '../../src/report/plots.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { startFakeServer, completion, userText } from '../llm/fake-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const XSS = '<script>alert(1)</script>';

/** A 64×48 PNG: a background and three coloured blocks, shifted images darker with noise. */
async function image(rng: Rng, shifted: boolean): Promise<Buffer> {
  const w = 64;
  const h = 48;
  const px = Buffer.alloc(w * h * 3);
  const bg = shifted ? [40, 40, 50] : [235, 235, 225];
  for (let k = 0; k < w * h; k++) px.set(bg.map((c) => Math.max(0, Math.min(255, c + (shifted ? rng.int(60) - 30 : 0)))), k * 3);
  for (let b = 0; b < 3; b++) {
    const col = [rng.int(256), rng.int(256), rng.int(256)];
    const x0 = rng.int(w - 16);
    const y0 = rng.int(h - 16);
    for (let y = y0; y < y0 + 14; y++) for (let x = x0; x < x0 + 14; x++) px.set(shifted ? col.map((c) => c >> 2) : col, (y * w + x) * 3);
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

test('monitor CLI: shift alerted (exit 3, JSON lines, webhook), stationary quiet, malformed counted, resumable, dashboard in Chromium', { timeout: 400_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: the dashboard's browser test needs Debian's chromium`);
  const dir = tempDir('mllmshift-monitor-');
  mkdirSync(join(dir, 'images'));
  const rng = new Rng(5);
  const files: { clean: string[]; shifted: string[] } = { clean: [], shifted: [] };
  for (let i = 0; i < 16; i++) {
    for (const kind of ['clean', 'shifted'] as const) {
      const name = `${kind}-${i}.png`;
      writeFileSync(join(dir, 'images', name), await image(rng, kind === 'shifted'));
      files[kind].push(name);
    }
  }
  const questions = ['How many blocks are there?', 'What colour is the largest block?', 'Describe the image.', 'Where is the top block?'];
  const perWindow = 24;
  const windows = 9; // 4 reference, 3 stationary, 2 shifted
  const lines: string[] = [];
  const t0 = Date.UTC(2026, 1, 1);
  let n = 0;
  for (let wi = 0; wi < windows; wi++) {
    const shifted = wi >= 7;
    for (let k = 0; k < perWindow; k++) {
      const q = questions[rng.int(questions.length)];
      const img = (shifted ? files.shifted : files.clean)[rng.int(16)];
      const answer = shifted ? `${wi === 8 ? XSS : ''}It is too dark to tell what the image shows.` : `The image shows three blocks; ${q.toLowerCase().replace('?', '')} is answered by looking at ${img}.`;
      lines.push(openAiLogLine({ id: `req-${n}`, time: t0 + n * 60_000, model: 'deployed', imageUrl: img, question: q, answer }));
      n += 1;
      if (wi === 1 && k === 3) lines.push('{"request": truncated');
      if (wi === 5 && k === 7) lines.push(JSON.stringify({ request: { messages: 7 } }));
    }
  }
  writeFileSync(join(dir, 'traffic.jsonl'), `${lines.join('\n')}\n`);

  const reference = await startFakeServer((req) => ({ kind: 'text', text: `Reference answer to: ${userText(req.body)}` }));
  const posts: unknown[] = [];
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { posts.push(JSON.parse(Buffer.concat(chunks).toString('utf8'))); res.writeHead(204).end(); });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
  const config = join(dir, 'monitor.yaml');
  writeFileSync(config, [
    'name: cli-test',
    'out: out',
    'traffic: { format: openai, path: traffic.jsonl, images: images }',
    `windows: { by: count, size: ${perWindow}, sample: ${perWindow} }`,
    'reference: { windows: 4, size: 40 }',
    `references: { model: { name: ref-model, base_url: "${reference.url}", concurrency: 4, timeout_s: 10 }, fraction: 0.5 }`,
    'encoders: { kind: builtin, batch_size: 32 }',
    'estimator: { train: { epochs: 5, batch_size: 64 } }',
    'analysis: { bootstrap: 10, null_windows: 20, top_samples: 3 }',
    `alerts: { alpha: 0.01, webhook: "${hookUrl}" }`,
  ].join('\n'));
  try {
    const first = await runCliAsync(['monitor', config]);
    assert.equal(first.code, 3, `exit 3 on alerts; stderr:\n${first.stderr}`);
    const alerts = first.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { alert: { index: number; statistic: string; z: number; threshold: number } }).alert);
    assert.ok(alerts.length >= 1, 'at least one alert');
    for (const a of alerts) {
      assert.ok(a.index >= 7, `alert only in shifted windows, got window ${a.index}`);
      assert.ok(a.z >= a.threshold);
    }
    assert.ok(alerts.some((a) => a.index === 7), 'the shift is alerted in its first window');
    assert.equal(posts.length, alerts.length, 'one webhook POST per alert');
    assert.deepEqual((posts[0] as { window: string }).window !== undefined, true);
    assert.match(first.stderr, /traffic\.jsonl:\d+: not valid JSON/);
    assert.match(first.stderr, /traffic\.jsonl:\d+: request\.messages: expected an array of chat messages, found number 7/);
    assert.match(first.stderr, /216 requests read \(2 malformed, 0 skipped\); 5 monitored windows \(5 analysed now\)/);
    const asked = reference.requests.length;
    // Half of each window gets a reference answer; identical requests (same image and question) are asked once (cache).
    assert.ok(asked > 0 && asked <= windows * (perWindow / 2), `reference requests: ${asked}`);

    const second = await runCliAsync(['monitor', config, '--json']);
    assert.equal(second.code, 0, `rerun: nothing new, exit 0; stderr:\n${second.stderr}`);
    const summary = JSON.parse(second.stdout.trim()) as { summary: { analysedNow: number; monitored: number; alerts: number; malformed: number } };
    assert.deepEqual([summary.summary.analysedNow, summary.summary.monitored, summary.summary.alerts, summary.summary.malformed], [0, 5, 0, 2]);
    assert.equal(reference.requests.length, asked, 'rerun asks the reference model nothing (cache)');

    const bad = await runCliAsync(['monitor', join(dir, 'missing.yaml')]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);

    // The dashboard in a real browser, offline.
    const page0 = join(dir, 'out', 'dashboard.html');
    assert.ok(existsSync(page0));
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, args: ARGS, viewport: { width: 1280, height: 900 }, offline: true });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('request', (r) => { if (!r.url().startsWith('data:')) requests.push(r.url()); });
      const url = pathToFileURL(page0).href;
      await page.goto(url, { waitUntil: 'load' });
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, [url], 'no request beyond the page itself');
      for (const id of ['plot-emid', 'plot-bound', 'plot-emi', 'plot-jsd']) {
        const svg = page.locator(`#${id} svg.${PLOT_CLASS}`);
        assert.equal(await svg.count(), 1, `${id} rendered`);
        await svg.scrollIntoViewIfNeeded();
        const box = await svg.boundingBox();
        assert.ok(box && box.width > 200 && box.height > 150, `${id} has a real size (${JSON.stringify(box)})`);
      }
      assert.equal(await page.locator('script').count(), 0, 'no script element');
      assert.ok((await page.locator('.response').allTextContents()).includes(`${XSS}It is too dark to tell what the image shows.`), 'the <script> answer is shown as text');
      const imgs = page.locator('.drifted img');
      assert.ok((await imgs.count()) >= 3, 'drifted samples with images');
      assert.ok(await imgs.first().evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth > 0), 'thumbnail decoded');
      assert.match(await page.locator('#alert-verdict').innerText(), /alerted window/);
      assert.equal(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), 0, 'nothing wider than the window');
    } finally {
      await context.close();
    }
  } finally {
    await reference.close();
    await new Promise<void>((r) => hook.close(() => r()));
  }
});
