/**
 * Intervals in seconds (issue 15): `emid --bootstrap 200 --permutations 200` on a grid shaped
 * like the paper's synthetic one (1 ID set + 35 OOD sets × 90 rows × 768; the OOD sets share 7
 * distinct image-embedding sets and 5 distinct question-embedding sets, as 7 image shifts × 5
 * text shifts do), synthetic Gaussian embeddings and a randomly initialised CLUB network of
 * the paper's shape (hidden 250). Times emidUncertainty as the CLI runs it: on an entropy
 * pool of W workers (default 2), from pool start to the last interval. Target: < 30 s on 2 cores.
 *   npx tsx bench/intervals.ts [B] [P] [workers]
 * The load average and the process's CPU seconds (all threads) are printed: other processes on
 * a shared machine stretch the wall time, CPU/cores is what idle cores would take.
 */
import { cpus, loadavg } from 'node:os';
import { emidUncertainty } from '../src/pipeline/estimate-intervals.js';
import { EntropyPool } from '../src/accel/entropy-pool.js';
import { clubMomentsFn } from '../src/accel/club-moments.js';
import { gemmBackend } from '../src/accel/cross-products.js';
import { initClubParams, clubNetworkFromParams } from '../src/core/estimators/club-train.js';
import { Rng } from '../src/core/random.js';
import type { EmbeddingSet } from '../src/io/embedding-set.js';
import type { Matrix } from '../src/core/matrix.js';

const [B = 200, P = 200, W = 2] = process.argv.slice(2).map(Number);
const n = 90;
const d = 768;
const rng = new Rng(1);
const gaussian = (shift: number): Matrix<Float32Array> => ({ rows: n, cols: d, data: Float32Array.from({ length: n * d }, (_, k) => rng.normal() + (k % d < 16 ? shift : 0)) });
const shape = { dx: d, dy: d, hidden: 250, boundedLogvar: true };
const net = clubNetworkFromParams(initClubParams(shape, new Rng(2)), shape);
const images = Array.from({ length: 7 }, (_, i) => gaussian(0.1 * i));
const questions = Array.from({ length: 5 }, (_, i) => gaussian(0.1 * i));
const set = (name: string, xv: Matrix, xt: Matrix, s: number): EmbeddingSet => ({ name, path: `${name}.safetensors`, xv, xt, yHat: gaussian(s), y: gaussian(0), metadata: {} }) as unknown as EmbeddingSet;
const id = set('id', images[0], questions[0], 0);
const oods = images.flatMap((xv, i) => questions.map((xt, j) => set(`v${i}-t${j}`, xv, xt, 0.05 * (i + j))));

process.stdout.write(`CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}; load average before ${loadavg().map((v) => v.toFixed(1)).join(' ')}\n`);
process.stdout.write(`grid: 1 ID + ${oods.length} OOD sets × ${n} × ${d}; ${B} bootstrap replicates, ${P} permutations, ${W} workers\n`);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const pool = new EntropyPool(W);
try {
  const u = await emidUncertainty(id, oods, net, { bootstrap: B, permutations: P, seed: 0, moments: await clubMomentsFn(net), gemm: await gemmBackend(), runner: pool, progress: true });
  const s = (performance.now() - t0) / 1000;
  const first = u.ood.get(oods[0].name);
  process.stdout.write(`ID EMI 95 % [${u.idEmi?.map((v) => v.toFixed(4)).join(', ')}], ${oods[0].name} J_v 95 % [${first?.jsd?.visual.map((v) => v.toFixed(4)).join(', ')}], p = ${first?.emidPValue}\n`);
  const c = process.cpuUsage(cpu0);
  const cpu = (c.user + c.system) / 1e6;
  process.stdout.write(`wall time ${s.toFixed(1)} s (target < 30 s), CPU time ${cpu.toFixed(1)} s over all threads (${(cpu / 2).toFixed(1)} s on 2 idle cores); load average after ${loadavg().map((v) => v.toFixed(1)).join(' ')}\n`);
} finally {
  await pool.close();
}
