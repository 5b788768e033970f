/**
 * Speed of the MI estimators (issue 3). Run by hand:  npx tsx bench/mi-speed.ts [club] [ksg]
 * 1. CLUB training on 10,000 pairs of 768-d embeddings, batch 2,048: seconds per epoch with the
 *    onnxruntime (MLAS, float32) backend and the plain-JS float64 backend (one batch, scaled to
 *    an epoch), the achieved GFLOP/s, and what PyTorch on this CPU would take for the same FLOPs
 *    (estimated from NumPy's float32 BLAS GEMM throughput on the same shapes, which is the
 *    library class PyTorch's CPU matmul uses; skipped if python3/numpy is missing).
 * 2. KSG (k = 5) at n = 5,000 in 2–10 joint dimensions and n = 10,000 in 10–40, through the
 *    estimator `mllmshift mi --estimator ksg` uses (makeMiEstimator: a worker pool from
 *    n = 2,000 on), without and with the default 50 half-sample replicates; next to it the
 *    same estimate in this thread (ksgMi), which must be bit-identical. The workers' start-up is
 *    timed separately (the first call minus the second on n = 2,000, JIT warm-up included):
 *    under tsx each worker compiles its modules (≈ 0.4–0.7 s), built JS does not (≈ 0.05 s).
 * The 1-minute load average is printed with every row (it counts this process's own threads):
 * on a shared machine wall times are upper bounds, and with another busy process the two
 * workers may get one core between them. CPU seconds count all threads, the workers included.
 */
import { spawnSync } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import { trainClub, jsClubBackend, initClubParams } from '../src/core/estimators/club-train.js';
import { onnxClubBackend } from '../src/accel/club-train.js';
import { ksgMi } from '../src/core/estimators/ksg.js';
import { makeMiEstimator } from '../src/cli/mi.js';
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
  const { estimator, close } = makeMiEstimator('ksg', { k: 5 });
  const timed = async <T>(f: () => T | Promise<T>): Promise<{ value: T; wall: number; cpu: number }> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const value = await f();
    const c = process.cpuUsage(c0);
    return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
  const small = gaussianTwoPair(1).sample(2000, 1);
  const cold = await timed(() => estimator.estimate(small.x, small.y, { seed: 0 }));
  const warm = await timed(() => estimator.estimate(small.x, small.y, { seed: 0 }));
  const load = (): string => loadavg()[0].toFixed(1);
  const rows: string[][] = [];
  const cases = [[5000, 1, 0], [5000, 2, 0], [5000, 5, 0], [5000, 5, 50], [10000, 5, 0], [10000, 10, 0], [10000, 20, 0]] as const;
  for (const [n, half, bootstrap] of cases) {
    const s = gaussianTwoPair(half).sample(n, 1);
    const pool = await timed(() => estimator.estimate(s.x, s.y, { bootstrap, seed: 0 }));
    const loadPool = load();
    const inThread = bootstrap === 0 ? await timed(() => ksgMi(s.x, s.y, { k: 5 }, 0)) : null;
    rows.push([
      String(n), `${half}+${half} = ${2 * half}`, String(bootstrap), pool.wall.toFixed(2), pool.cpu.toFixed(2), loadPool,
      inThread ? inThread.wall.toFixed(2) : '—', inThread ? String(inThread.value === pool.value.mi) : '—',
      pool.value.mi.toFixed(4), gaussianTwoPair(half).mi.toFixed(4),
    ]);
  }
  await close();
  process.stdout.write(
    `\n## KSG (k = 5, max-norm k-d trees, exact counts) as \`mllmshift mi\` runs it\n\n`
    + `worker start-up: ${(cold.wall - warm.wall).toFixed(2)} s (first call on n = 2,000 ${cold.wall.toFixed(2)} s, second ${warm.wall.toFixed(2)} s)\n\n`
    + `${renderTable(['n', 'joint dims', 'replicates', 'wall s', 'CPU s', 'load', 'in-thread wall s', 'identical', 'estimate', 'true MI'], rows)}\n`,
  );
}
