/**
 * Benchmark of `mllmshift shift --grid synthetic` (issue 5: under 60 s for 90 images of
 * 640×480 on 2 cores): writes a seeded 90-image LLaVA-Bench style data set, runs the command
 * as a user would (a child process), and prints a table; then times each image corruption
 * alone on one 640×480 image (severity 3 and 5). On a shared machine the wall time depends on
 * the load, so the table also gives the CPU time of all threads and CPU time / cores (the wall
 * time on an otherwise idle machine).
 *
 *   npx tsx bench/shift.ts [--images 90] [--width 640] [--height 480] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE_CORRUPTIONS } from '../src/data/scenarios.js';
import { FrostTextures } from '../src/shift/frost.js';
import { corruptImage } from '../src/shift/image.js';
import { encodeImage } from '../src/shift/pixels.js';
import { rgbFloatImage } from '../src/io/image.js';
import { Rng } from '../src/core/random.js';
import { syntheticPhoto, writeLlavaBenchFixture } from './shift-fixture.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const n = arg('images', 90);
const w = arg('width', 640);
const h = arg('height', 480);
const keep = process.argv.includes('--keep');

function duSync(dir: string): { files: number; bytes: number } {
  let files = 0, bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const r = duSync(p);
      files += r.files;
      bytes += r.bytes;
    } else {
      files++;
      bytes += statSync(p).size;
    }
  }
  return { files, bytes };
}

const root = mkdtempSync(join(tmpdir(), 'mllmshift-bench-shift-'));
try {
  const src = join(root, 'coco');
  let t = Date.now();
  await writeLlavaBenchFixture(src, n, w, h);
  process.stderr.write(`fixture: ${n} images ${w}×${h} in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);

  const out = join(root, 'out');
  const loadBefore = loadavg()[0];
  t = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'shift', '--dataset', src, '--out', out, '--grid', 'synthetic', '--json'], { encoding: 'utf8' });
  const wall = (Date.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`shift failed (${r.status}): ${r.stderr}`);
  const res = JSON.parse(r.stdout) as { seconds: number; cpuSeconds: number; imagesCorrupted: number; scenarios: unknown[] };
  const du = duSync(out);
  const cores = availableParallelism();
  console.log(`\nmllmshift shift --grid synthetic (${cores} cores, load average ${loadBefore.toFixed(1)} before / ${loadavg()[0].toFixed(1)} after)`);
  console.log('| images | size | scenarios | corrupted images | files written | output MB | wall s (process) | s in command | CPU s (all threads) | CPU s / cores | target < 60 s |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  console.log(
    `| ${n} | ${w}×${h} | ${res.scenarios.length} | ${res.imagesCorrupted} | ${du.files} | ${(du.bytes / 1e6).toFixed(1)} | ${wall.toFixed(1)} | ${res.seconds.toFixed(1)} | ${res.cpuSeconds.toFixed(1)} | ${(res.cpuSeconds / cores).toFixed(1)} | ${wall < 60 ? 'met' : 'missed'} |`,
  );

  console.log(`\nper corruption, one ${w}×${h} image (ms, corruption only / plus JPEG encode)`);
  console.log('| corruption | severity 3 | severity 5 | sev 5 + encode |');
  console.log('|---|---:|---:|---:|');
  const img = rgbFloatImage(w, h, Float32Array.from(syntheticPhoto(w, h, Rng.forKey(0, 'photo', 0))));
  const frost = FrostTextures.procedural(0);
  await corruptImage(img, 'frost', 1, { rng: Rng.forKey(0, 'warm'), frost }); // texture generation outside the timing
  for (const kind of IMAGE_CORRUPTIONS) {
    const ms: number[] = [];
    for (const s of [3, 5]) {
      const t0 = performance.now();
      await corruptImage(img, kind, s, { rng: Rng.forKey(0, kind), frost });
      ms.push(performance.now() - t0);
    }
    const t0 = performance.now();
    await encodeImage(await corruptImage(img, kind, 5, { rng: Rng.forKey(0, kind), frost }), 'jpeg');
    ms.push(performance.now() - t0);
    console.log(`| ${kind} | ${ms[0].toFixed(0)} | ${ms[1].toFixed(0)} | ${ms[2].toFixed(0)} |`);
  }
  if (keep) console.log(`\noutput kept in ${root}`);
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}
