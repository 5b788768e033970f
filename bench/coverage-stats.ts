/**
 * Coverage by simulation (issue 16) of the win-rate interval: Wilson (wins + ½·ties of n,
 * core/proportion.ts, used by llm/summary.ts) against the percentile bootstrap of the same
 * proportion it replaced, at the paper's small n. Each repetition draws n judged items with
 * P(win) = w, P(tie) = t, P(loss) = 1 − w − t; the truth is w + t/2. Seeded; prints a table.
 *   npx tsx bench/coverage-stats.ts [repetitions]
 */
import { percentileInterval } from '../src/core/bootstrap.js';
import { wilsonInterval } from '../src/core/proportion.js';
import { Rng } from '../src/core/random.js';
import { renderTable } from '../src/report/table.js';

const reps = Number(process.argv[2] ?? 2000);
const B = 1000;
const rng = new Rng(16);
const rows: (string | number)[][] = [];
for (const n of [30, 60, 90]) {
  for (const [w, t] of [[0.1, 0.1], [0.3, 0.2], [0.5, 0], [0.05, 0.3]] as const) {
    const truth = w + t / 2;
    let cw = 0;
    let cb = 0;
    for (let r = 0; r < reps; r++) {
      const points = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const u = rng.next();
        points[i] = u < w ? 1 : u < w + t ? 0.5 : 0;
      }
      const s = points.reduce((a, b) => a + b, 0);
      const [lo, hi] = wilsonInterval(s, n);
      if (lo <= truth && truth <= hi) cw++;
      const boot = new Float64Array(B);
      for (let b = 0; b < B; b++) {
        let sb = 0;
        for (let i = 0; i < n; i++) sb += points[rng.int(n)];
        boot[b] = sb / n;
      }
      const [bl, bh] = percentileInterval(boot);
      if (bl <= truth && truth <= bh) cb++;
    }
    rows.push([n, w, t, truth, (cw / reps).toFixed(3), (cb / reps).toFixed(3)]);
  }
}
process.stdout.write(`win-rate 95 % interval coverage, ${reps} repetitions per row, bootstrap B = ${B}, seed 16\n`);
process.stdout.write(`${renderTable(['n', 'P(win)', 'P(tie)', 'true win rate', 'Wilson', 'percentile bootstrap'], rows)}\n`);
