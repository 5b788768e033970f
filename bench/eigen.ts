/**
 * Symmetric eigenvalues, values only, float64 (issue 15): GFLOP/s of the plain-JS solver
 * (core/eigen.ts), the WebAssembly SIMD solver (wasm/eigen.c via accel/eigen-wasm.ts) and
 * LAPACK (scipy.linalg.eigvalsh on OpenBLAS, bench/eigen_lapack.py; skipped without
 * python3/scipy) on the same random matrices' sizes, and the WebAssembly/LAPACK time ratio.
 * FLOPs are counted as (4/3)·n³ (the tridiagonal reduction) for every solver.
 *
 * Each time is the best of R runs, interleaved with the other solvers, so other processes on
 * a shared machine inflate it less; the load average is printed. One thread each: LAPACK runs
 * with OPENBLAS_NUM_THREADS=1 (ours are single-threaded). For a fixed core:
 *   taskset -c 1 npx tsx bench/eigen.ts [n …]
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { symmetricEigenvalues } from '../src/core/eigen.js';
import { wasmEigenAvailable, wasmSymmetricEigenvalues } from '../src/accel/eigen-wasm.js';
import { Rng } from '../src/core/random.js';
import { renderTable } from '../src/report/table.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const ns = sizes.length > 0 ? sizes : [90, 180, 300, 600, 768];
const reps = (n: number): number => (n <= 180 ? 40 : n <= 300 ? 15 : 5);
const load = (): string => loadavg().map((v) => v.toFixed(1)).join(' ');
process.stdout.write(`CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}; load average before ${load()}\n`);

function best(f: () => void, r: number): number {
  let t = Infinity;
  for (let k = 0; k < r; k++) {
    const t0 = performance.now();
    f();
    t = Math.min(t, performance.now() - t0);
  }
  return t / 1000;
}

const lapack = new Map<number, number>();
const py = spawnSync('python3', [fileURLToPath(new URL('./eigen_lapack.py', import.meta.url)), ...ns.map((n) => `${n}:${reps(n)}`)], {
  encoding: 'utf8',
  env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
});
if (py.status === 0) for (const line of py.stdout.trim().split('\n')) { const [n, s] = line.split(' ').map(Number); lapack.set(n, s); }
else process.stdout.write(`LAPACK column skipped: ${(py.stderr || py.error?.message || 'python3 failed').trim().split('\n').pop()}\n`);

const rng = new Rng(1);
const rows: string[][] = [];
for (const n of ns) {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { const v = rng.normal(); a[i * n + j] = v; a[j * n + i] = v; }
  const flops = (4 / 3) * n ** 3;
  const tw = wasmEigenAvailable() ? best(() => wasmSymmetricEigenvalues(a, n), reps(n)) : NaN;
  const tj = best(() => symmetricEigenvalues(a, n), Math.max(2, Math.ceil(reps(n) / 4)));
  const tl = lapack.get(n) ?? NaN;
  const g = (t: number): string => (Number.isFinite(t) ? (flops / t / 1e9).toFixed(2) : '—');
  const ms = (t: number): string => (Number.isFinite(t) ? (t * 1000).toFixed(2) : '—');
  rows.push([String(n), ms(tj), g(tj), ms(tw), g(tw), ms(tl), g(tl), Number.isFinite(tl) && Number.isFinite(tw) ? `${(tw / tl).toFixed(2)}×` : '—']);
}
process.stdout.write(renderTable(['n', 'JS ms', 'JS GFLOP/s', 'WASM ms', 'WASM GFLOP/s', 'LAPACK ms', 'LAPACK GFLOP/s', 'WASM / LAPACK time'], rows));
process.stdout.write(`\nload average after ${load()}\n`);
