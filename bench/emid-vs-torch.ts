/**
 * EMI, EMID, the four JSD terms and the bound on 10 sets × 300 × 768 (1 ID + 9 OOD): mllmshift
 * (analyseEmid as `emid` runs it: onnxruntime GEMM and CLUB forward, entropies on a pool of 2
 * workers with the WebAssembly eigensolver) against the authors' algorithm in PyTorch on the
 * CPU (bench/emid_torch.py: the O(n²·d) CLUB tensor and d×d eigvalsh per entropy), same
 * machine, same thread count (2), synthetic data of the same shape. Prints both times and the
 * ratio in one run (goal ≥ 10×). Times exclude process start and imports on both sides; ours
 * includes starting the worker pool. Best of R runs (default 3). The load average is printed.
 *   npx tsx bench/emid-vs-torch.ts [R]
 * Python: $MLLMSHIFT_PYTHON, else the first of python3, /usr/bin/python3 that imports torch.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { analyseEmid } from '../src/pipeline/estimate.js';
import { EntropyPool } from '../src/accel/entropy-pool.js';
import { clubMomentsFn } from '../src/accel/club-moments.js';
import { gemmBackend } from '../src/accel/cross-products.js';
import { initClubParams, clubNetworkFromParams } from '../src/core/estimators/club-train.js';
import { Rng } from '../src/core/random.js';
import type { EmbeddingSet } from '../src/io/embedding-set.js';
import type { Matrix } from '../src/core/matrix.js';

const R = Number(process.argv[2] ?? 3);
const SETS = 10;
const n = 300;
const d = 768;
const THREADS = 2;
const load = (): string => loadavg().map((v) => v.toFixed(1)).join(' ');
process.stdout.write(`CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}; load average before ${load()}\n`);

const rng = new Rng(1);
const unit = (): Matrix<Float32Array> => {
  const m = Float32Array.from({ length: n * d }, () => rng.normal());
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += m[i * d + k] ** 2;
    for (let k = 0; k < d; k++) m[i * d + k] /= Math.sqrt(s);
  }
  return { rows: n, cols: d, data: m };
};
const sets = Array.from({ length: SETS }, (_, i) => ({ name: `set${i}`, path: `set${i}.safetensors`, xv: unit(), xt: unit(), yHat: unit(), y: unit(), metadata: {} }) as unknown as EmbeddingSet);
const shape = { dx: d, dy: d, hidden: 250, boundedLogvar: true };
const net = clubNetworkFromParams(initClubParams(shape, new Rng(2)), shape);

let ours = Infinity;
for (let r = 0; r < R; r++) {
  const t0 = performance.now();
  const pool = new EntropyPool(THREADS);
  try {
    await analyseEmid(sets[0], sets.slice(1), net, { moments: await clubMomentsFn(net), gemm: await gemmBackend(), entropy: pool.entropy, jsdMixture: 'sample-weighted' });
  } finally {
    await pool.close();
  }
  ours = Math.min(ours, (performance.now() - t0) / 1000);
}

const script = fileURLToPath(new URL('./emid_torch.py', import.meta.url));
const candidates = process.env.MLLMSHIFT_PYTHON ? [process.env.MLLMSHIFT_PYTHON] : ['python3', '/usr/bin/python3'];
const python = candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
let torch = NaN;
if (python) {
  const r = spawnSync(python, [script, String(SETS), String(n), String(d), String(THREADS), String(R)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(THREADS) } });
  const m = /seconds ([\d.e+-]+)/.exec(r.stdout);
  if (m) torch = Number(m[1]);
  else process.stdout.write(`PyTorch reference failed: ${r.stderr.trim().split('\n').pop()}\n`);
} else process.stdout.write('PyTorch reference skipped: no python with torch\n');

process.stdout.write(`${SETS} sets × ${n} × ${d}, ${THREADS} threads each, best of ${R}:\n`);
process.stdout.write(`  authors' algorithm (PyTorch CPU): ${Number.isFinite(torch) ? `${torch.toFixed(2)} s` : '—'}\n`);
process.stdout.write(`  mllmshift:                        ${ours.toFixed(2)} s\n`);
process.stdout.write(`  ratio: ${Number.isFinite(torch) ? `${(torch / ours).toFixed(1)}×` : '—'} (goal ≥ 10×); load average after ${load()}\n`);
