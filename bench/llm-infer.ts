/**
 * Benchmark of response collection (issue 6). Run by hand: npx tsx bench/llm-infer.ts
 * Our own overhead per answer — building the request (image → base64 data URL), the client
 * (limiter, retry loop, openai SDK), the SQLite cache, and the fsync'd append — measured
 * against a local chat server that answers at once, and again with a 50 ms server latency to
 * show that concurrency hides it. 200 samples of 64×64 PNGs, median of 3 runs. Prints a table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ChatClient } from '../src/llm/client.js';
import { ResponseCache } from '../src/llm/cache.js';
import { collectResponses } from '../src/llm/infer.js';
import type { Sample } from '../src/data/sample.js';
import { renderTable } from '../src/report/table.js';
import { startFakeServer } from '../test/llm/fake-server.js';

const N = 200;
const RUNS = 3;

async function samples(): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let i = 0; i < N; i++) {
    const bytes = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: i % 256, g: (i * 7) % 256, b: (i * 13) % 256 } } }).png().toBuffer();
    out.push({ id: String(i), image: { kind: 'bytes', bytes: new Uint8Array(bytes) }, question: `Describe picture ${i}.` });
  }
  return out;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const data = await samples();
const rows: (string | number)[][] = [];
for (const latencyMs of [0, 50]) {
  const server = await startFakeServer(() => ({ kind: 'text', text: 'A short answer about the picture.', delayMs: latencyMs }));
  for (const concurrency of [1, 4, 16]) {
    for (const mode of ['no cache', 'cache (cold)', 'cache (warm)'] as const) {
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const dir = mkdtempSync(join(tmpdir(), 'mllmshift-bench-'));
        const cache = mode === 'no cache' ? undefined : new ResponseCache(join(dir, 'cache.sqlite'));
        const client = new ChatClient({ baseURL: server.url, concurrency });
        if (mode === 'cache (warm)') await collectResponses({ samples: data, client, model: 'm', outPath: join(dir, 'warmup.jsonl'), cache });
        const t0 = performance.now();
        await collectResponses({ samples: data, client, model: 'm', outPath: join(dir, 'answers.jsonl'), cache });
        times.push(performance.now() - t0);
        cache?.close();
        rmSync(dir, { recursive: true, force: true });
      }
      const ms = median(times);
      rows.push([latencyMs, concurrency, mode, ms.toFixed(0), (N / (ms / 1000)).toFixed(0)]);
    }
  }
  await server.close();
}
process.stdout.write(`${renderTable(['server latency ms', 'concurrency', 'cache', `time for ${N} ms`, 'answers/s'], rows.map((r) => r.map(String)))}\n`);
