/**
 * Benchmark of the `emid` command (issue: core engine). Run by hand:
 *   npm run build && npx tsx bench/emid.ts
 * 1. The paper's synthetic grid size: 1 ID + 35 OOD sets of 90×768, the whole CLI command
 *    (process start to exit, built dist/), median of 7 runs, twice: with the grid's structure
 *    (7 image sets × 5 question sets shared across scenarios, one reference-answer set, a
 *    response set per scenario — what the paper's grid looks like) and as 36 independent
 *    random sets (the worst case: nothing shared).
 * 2. Scale: 1 ID + 1 OOD set at n = 1,000 / 10,000 per set (d×d route once n > d), with peak RSS.
 * Prints a table.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEmbeddingSet } from '../src/io/embedding-set.js';
import { Rng } from '../src/core/random.js';
import { resolveEstimatorPath } from '../src/encode/artefacts.js';
import { CLUB_GLOBAL } from '../test/helpers/official.js';
import type { Matrix } from '../src/core/matrix.js';

// The authors' estimator where the tests find it, else the copy `mllmshift models pull --only
// club` put in the models cache (a clear error when there is none).
const CKPT = existsSync(CLUB_GLOBAL) ? CLUB_GLOBAL : resolveEstimatorPath('paper');
const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;

/** Unit-norm rows around a shared mean direction plus noise (like real encoder embeddings). */
function embeddings(rng: Rng, n: number, d: number, mean: Float64Array, noise: number): Matrix<Float32Array> {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) { const v = mean[k] + noise * rng.normal(); out[i * d + k] = v; s += v * v; }
    const inv = 1 / Math.sqrt(s);
    for (let k = 0; k < d; k++) out[i * d + k] *= inv;
  }
  return { rows: n, cols: d, data: out };
}

function writeSets(dir: string, count: number, n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const d = 768;
  const base = Float64Array.from({ length: d }, () => rng.normal());
  const paths: string[] = [];
  for (let s = 0; s < count; s++) {
    const shift = 0.5 + s / count;
    const p = join(dir, `set_${String(s).padStart(2, '0')}.safetensors`);
    writeEmbeddingSet(p, {
      xv: embeddings(rng, n, d, base, shift), xt: embeddings(rng, n, d, base, shift),
      yHat: embeddings(rng, n, d, base, 1 + shift), y: embeddings(rng, n, d, base, 1),
      scenario: `set_${s}`, sampleIds: Array.from({ length: n }, (_, i) => String(i)), encoders: { bench: true },
    });
    paths.push(p);
  }
  return paths;
}

/** The synthetic grid's structure: x_v from 7 image conditions, x_t from 5 question conditions. */
function writeGridSets(dir: string, seed: number): string[] {
  const rng = new Rng(seed);
  const d = 768;
  const n = 90;
  const base = Float64Array.from({ length: d }, () => rng.normal());
  const images = Array.from({ length: 7 }, (_, v) => embeddings(rng, n, d, base, 0.5 + v / 7));
  const questions = Array.from({ length: 5 }, (_, t) => embeddings(rng, n, d, base, 0.5 + t / 5));
  const references = embeddings(rng, n, d, base, 1);
  const paths: string[] = [];
  for (let v = 0; v < 7; v++) {
    for (let t = 0; t < 5; t++) {
      const p = join(dir, `grid_${v}${t}.safetensors`);
      writeEmbeddingSet(p, {
        xv: images[v], xt: questions[t], yHat: embeddings(rng, n, d, base, 1 + (v + t) / 12), y: references,
        scenario: `grid_${v}${t}`, sampleIds: Array.from({ length: n }, (_, i) => String(i)), encoders: { bench: true },
      });
      paths.push(p);
    }
  }
  return paths;
}

function median(runs: { seconds: number; maxRssMb: number }[]): { seconds: number; maxRssMb: number } {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeCommand(args: string[]): { seconds: number; maxRssMb: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, MAIN, ...args], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`command failed: ${r.stderr}`);
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  return { seconds, maxRssMb: rssKb / 1024 };
}

const dir = mkdtempSync(join(tmpdir(), 'mllmshift-bench-'));
const rows: string[][] = [];
try {
  const gridDir = join(dir, 'grid');
  spawnSync('mkdir', ['-p', gridDir]);
  const grid = writeGridSets(gridDir, 1);
  const g = median(Array.from({ length: 7 }, () => timeCommand(['emid', '--id', grid[0], '--ood', ...grid.slice(1), '--estimator', CKPT, '--json'])));
  rows.push(['emid, paper grid: 34 OOD + ID, 90×768 (whole command)', g.seconds.toFixed(3), g.maxRssMb.toFixed(0)]);
  const random = writeSets(dir, 36, 90, 1);
  const r = median(Array.from({ length: 7 }, () => timeCommand(['emid', '--id', random[0], '--ood', ...random.slice(1), '--estimator', CKPT, '--json'])));
  rows.push(['emid, 35 independent random OOD sets of 90×768', r.seconds.toFixed(3), r.maxRssMb.toFixed(0)]);
  for (const n of [1000, 10000]) {
    const sub = join(dir, `n${n}`);
    spawnSync('mkdir', ['-p', sub]);
    const sets = writeSets(sub, 2, n, 2);
    const r = timeCommand(['emid', '--id', sets[0], '--ood', sets[1], '--estimator', CKPT, '--json']);
    rows.push([`emid, 1 OOD set, n = ${n} per set`, r.seconds.toFixed(3), r.maxRssMb.toFixed(0)]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const header = ['case', 'seconds', 'peak RSS (MB)'];
const w = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
console.log(header.map((h, j) => h.padEnd(w[j])).join(' | '));
console.log(w.map((x) => '-'.repeat(x)).join('-|-'));
for (const r of rows) console.log(r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join(' | '));
