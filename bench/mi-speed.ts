/**
 * Speed of the MI estimators (issue 3). Run by hand:  npx tsx bench/mi-speed.ts [club] [ksg]
 * 1. CLUB training on 10,000 pairs of 768-d embeddings, batch 2,048: seconds per epoch with the
 *    onnxruntime (MLAS, float32) backend and the plain-JS float64 backend (one batch, scaled to
 *    an epoch), the achieved GFLOP/s, and what PyTorch on this CPU would take for the same FLOPs
 *    (estimated from NumPy's float32 BLAS GEMM throughput on the same shapes, which is the
 *    library class PyTorch's CPU matmul uses; skipped if python3/numpy is missing).
 * 2. KSG (k = 5) at n = 5,000 in 2–10 joint dimensions and n = 10,000 in 20 and 40.
 * The machine's load average is printed: on a shared machine wall times are upper bounds; KSG is
 * single-threaded, so its CPU seconds are what it would take on an idle core.
 */
import { spawnSync } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import { trainClub, jsClubBackend, initClubParams } from '../src/core/estimators/club-train.js';
import { onnxClubBackend } from '../src/accel/club-train.js';
import { ksgMi } from '../src/core/estimators/ksg.js';
import { gaussianTwoPair } from '../src/core/estimators/tasks.js';
import { Rng } from '../src/core/random.js';
import { renderTable } from '../src/report/table.js';
import { gatherRows } from '../src/core/estimators/mlp.js';

const args = process.argv.slice(2);
const want = (s: string): boolean => args.length === 0 || args.includes(s);
process.stdout.write(`CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}\n`);

if (want('club')) {
  const n = 10000;
  const d = 768;
  const batch = 2048;
  const rng = new Rng(1);
  const unit = (m: Float64Array): Float64Array => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += m[i * d + k] ** 2;
      const inv = 1 / Math.sqrt(s);
      for (let k = 0; k < d; k++) m[i * d + k] *= inv;
    }
    return m;
  };
  const xd = unit(Float64Array.from({ length: n * d }, () => rng.normal()));
  const yd = unit(Float64Array.from({ length: n * d }, (_, k) => xd[k] + 0.5 * rng.normal() / Math.sqrt(d)));
  const x = { rows: n, cols: d, data: xd };
  const y = { rows: n, cols: d, data: yd };
  const rows: (string | number)[][] = [];
  for (const hidden of [250, 500]) {
    // FLOPs per training row: forward 2 heads × 2 layers × 2·d·h; backward: dW for 4 layers and dA for the 2 second layers (= 6 more GEMMs of the same size).
    const perRow = 2 * d * hidden * (4 + 6);
    const valRows = Math.round(n * 0.1);
    const trainRows = n - valRows;
    const flopsEpoch = trainRows * perRow + valRows * 2 * d * hidden * 4;
    const epochs = 3;
    const times: number[] = [];
    let last = performance.now();
    await trainClub(x, y, { hidden, epochs, batchSize: batch, patience: 100, seed: 0 }, (s) => onnxClubBackend(s), () => {
      const now = performance.now();
      times.push((now - last) / 1000);
      last = now;
    });
    // The first epoch includes session creation; report the median of the rest.
    const steady = times.slice(1).sort((a, b) => a - b)[Math.floor((times.length - 1) / 2)];
    rows.push([`onnxruntime MLAS float32, hidden ${hidden}`, steady.toFixed(2), (flopsEpoch / steady / 1e9).toFixed(1), (flopsEpoch / 1e9).toFixed(1)]);
    // Plain JS: one batch, scaled to the epoch.
    const shape = { dx: d, dy: d, hidden, boundedLogvar: true };
    const p = initClubParams(shape, new Rng(2));
    const idx = new Rng(3).permutation(n).subarray(0, batch);
    const js = jsClubBackend(shape);
    const t0 = performance.now();
    await js.lossAndGrad(p, gatherRows(x, idx), gatherRows(y, idx), batch);
    const oneBatch = (performance.now() - t0) / 1000;
    const jsEpoch = (oneBatch * trainRows) / batch;
    rows.push([`plain JS float64, hidden ${hidden} (1 batch, scaled)`, jsEpoch.toFixed(1), ((trainRows * perRow) / jsEpoch / 1e9).toFixed(2), (flopsEpoch / 1e9).toFixed(1)]);
    const py = spawnSync('python3', ['-c', `
import numpy as np, time
rng = np.random.default_rng(0)
B, d, h = ${batch}, ${d}, ${hidden}
a = rng.standard_normal((B, d), dtype=np.float32); w = rng.standard_normal((h, d), dtype=np.float32)
g = rng.standard_normal((B, h), dtype=np.float32)
for _ in range(3): a @ w.T; g.T @ a; g @ w
t = time.perf_counter(); r = 20
for _ in range(r): a @ w.T; g.T @ a; g @ w
dt = time.perf_counter() - t
print(3 * r * 2 * B * d * h / dt / 1e9)
`], { encoding: 'utf8' });
    const gflops = Number(py.stdout.trim());
    if (py.status === 0 && Number.isFinite(gflops)) {
      rows.push([`PyTorch-CPU estimate (NumPy float32 BLAS GEMM rate), hidden ${hidden}`, (flopsEpoch / (gflops * 1e9)).toFixed(2), gflops.toFixed(1), (flopsEpoch / 1e9).toFixed(1)]);
    }
  }
  process.stdout.write(`\n## CLUB training, 10,000 × 768 pairs, batch 2,048, 10 % held out\n\n${renderTable(['backend', 's/epoch', 'GFLOP/s', 'GFLOP/epoch'], rows)}\n`);
}

if (want('ksg')) {
  const rows: string[][] = [];
  for (const [n, half] of [[5000, 1], [5000, 2], [5000, 5], [10000, 5], [10000, 10], [10000, 20]] as const) {
    const s = gaussianTwoPair(half).sample(n, 1);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const v = ksgMi(s.x, s.y, { k: 5 }, 0);
    const cpu = process.cpuUsage(c0);
    rows.push([String(n), `${half}+${half} = ${2 * half}`, ((performance.now() - t0) / 1000).toFixed(2), ((cpu.user + cpu.system) / 1e6).toFixed(2), v.toFixed(4), gaussianTwoPair(half).mi.toFixed(4)]);
  }
  process.stdout.write(`\n## KSG (k = 5, max-norm k-d trees, exact counts)\n\n${renderTable(['n', 'joint dims', 'wall s', 'CPU s', 'estimate', 'true MI'], rows)}\n`);
}
