/**
 * False alarms of `mllmshift monitor` on stationary traffic: the demo's simulated deployment
 * with no shift at all (7 reference days, then STATIONARY days), for several seeds, with the
 * demo's statistics and alert rule (α = 0.01 over the whole run). Prints one row per seed and
 * the measured false-alarm rate (runs with any alert, and alerted windows / all windows).
 *
 *   npx tsx bench/monitor-false-alarms.ts [SEEDS=20] [DAYS=50] [FIRST_SEED=0]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMonitorDemo } from '../src/monitor/demo.js';

const seeds = Number(process.argv[2] ?? 20);
const days = Number(process.argv[3] ?? 50);
const first = Number(process.argv[4] ?? 0);
const rows: string[] = [];
let runsWithAlarm = 0;
let alarms = 0;
let windows = 0;
const t0 = performance.now();
process.stdout.write(`seed | stationary windows | alerted windows | max z (EMID) | max z (bound) | threshold at the last window | seconds\n`);
for (let seed = first; seed < first + seeds; seed++) {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-fa-'));
  const t = performance.now();
  try {
    const r = await runMonitorDemo({
      outDir: dir, seed, schedule: { reference: 7, stationary: days, gradual: 0, recovery: 0, sudden: 0 },
      bootstrap: 0, topSamples: 0, log: () => {},
    });
    const mon = r.monitor.windows.filter((w) => w.role === 'monitored');
    const alerted = mon.filter((w) => w.alert).length;
    const maxZ = (s: number) => Math.max(...mon.map((w) => w.decisions![s].z));
    const last = mon[mon.length - 1].decisions![1].threshold;
    windows += mon.length;
    alarms += alerted;
    if (alerted > 0) runsWithAlarm++;
    const row = `${seed} | ${mon.length} | ${alerted} | ${maxZ(0).toFixed(2)} | ${maxZ(1).toFixed(2)} | ${last.toFixed(2)} | ${((performance.now() - t) / 1000).toFixed(0)}`;
    rows.push(row);
    process.stdout.write(`${row}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(`\nruns with any false alarm: ${runsWithAlarm} of ${seeds}; alerted windows: ${alarms} of ${windows} (${((100 * alarms) / Math.max(1, windows)).toFixed(2)} %); α = 0.01 per run; ${((performance.now() - t0) / 1000).toFixed(0)} s in all\n`);
