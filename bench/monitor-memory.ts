/**
 * `mllmshift monitor` on large logs in bounded memory: generates a log of N requests (OpenAI
 * chat-completions JSONL, image files, ~300 bytes a line) and monitors it with count windows
 * of 20,000 requests (a sample of 32 analysed per window, references from a reference model
 * served on 127.0.0.1), each size in its own process. Prints one row per size: log size,
 * windows, seconds, peak RSS. Bounded memory: the peak must not grow with N.
 *
 *   npx tsx bench/monitor-memory.ts [SIZES=100000,1000000]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Rng } from '../src/core/random.js';
import { openAiLogLine } from '../src/monitor/ingest-openai.js';
import { validateMonitorConfig } from '../src/monitor/config.js';
import { runMonitor } from '../src/monitor/monitor.js';
import { startFakeServer, userText } from '../test/llm/fake-server.js';

const WINDOW = 20_000;

async function one(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-mem-'));
  try {
    mkdirSync(join(dir, 'images'));
    const rng = new Rng(1);
    for (let i = 0; i < 16; i++) {
      const px = Buffer.alloc(32 * 32 * 3);
      for (let k = 0; k < px.length; k++) px[k] = (i * 37 + (k % 96) * rng.int(3)) & 255;
      writeFileSync(join(dir, 'images', `${i}.png`), await sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).png().toBuffer());
    }
    const log = join(dir, 'traffic.jsonl');
    const out = createWriteStream(log);
    const qs = ['How many shapes?', 'What colour?', 'Describe it.', 'Where is it?'];
    for (let i = 0; i < n; i++) {
      const line = openAiLogLine({ id: `r${i}`, time: Date.UTC(2026, 0, 1) + i * 1000, model: 'm', imageUrl: `${i % 16}.png`, question: qs[i % 4], answer: `Answer ${i % 50} about image ${i % 16}.` });
      if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r) => out.end(r));
    const reference = await startFakeServer((req) => ({ kind: 'text', text: `Reference: ${userText(req.body)}` }));
    try {
      const config = validateMonitorConfig({
        name: 'memory-bench', out: join(dir, 'out'),
        traffic: { format: 'openai', path: log, images: join(dir, 'images') },
        windows: { by: 'count', size: WINDOW, sample: 32 },
        reference: { windows: 3, size: 64 },
        references: { model: { name: 'ref', base_url: reference.url, concurrency: 8 }, fraction: 0.5 },
        encoders: { kind: 'builtin', batch_size: 32 },
        estimator: { train: { epochs: 5, batch_size: 64 } },
        analysis: { bootstrap: 0, null_windows: 20, top_samples: 0 },
      }, join(dir, 'monitor.yaml'));
      const t = performance.now();
      const m = await runMonitor(config, { log: () => {} });
      const secs = (performance.now() - t) / 1000;
      const rss = process.resourceUsage().maxRSS / 1024;
      process.stdout.write(`${n} | ${(statSync(log).size / 1e6).toFixed(0)} MB | ${m.ingest.records} | ${m.windows.length} | ${secs.toFixed(0)} | ${(n / secs).toFixed(0)} | ${rss.toFixed(0)} MB\n`);
    } finally {
      await reference.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--one') {
  await one(Number(process.argv[3]));
} else {
  const sizes = (process.argv[2] ?? '100000,1000000').split(',').map(Number);
  process.stdout.write('requests | log | read | windows | seconds | requests/s | peak RSS\n');
  for (const n of sizes) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', String(n)], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
