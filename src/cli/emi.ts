/**
 * `mllmshift emi FILE… --estimator CKPT [--bootstrap B] [--seed N] [--json]`: EMI (E8) of each
 * embedding set, with optional Bayesian-bootstrap 95 % intervals.
 */
import type { Command } from 'commander';
import { addEstimatorOption, addSeedOption, parseNonNegativeInt } from './options.js';
import { loadClubCheckpoint, loadSets } from './load-sets.js';
import { resolveEstimatorPath } from '../encode/artefacts.js';
import { printJson, runAction } from './run-action.js';
import { estimateEmi, type EmiValue } from '../pipeline/estimate.js';
import { emiIntervalsJson, emiResultsJson } from '../pipeline/results-json.js';
import { emiIntervals, INTERVAL_METHOD, type Interval } from '../pipeline/estimate-intervals.js';
import { renderTable } from '../report/table.js';
import { clubMomentsFn } from '../accel/club-moments.js';

export function register(program: Command): void {
  const cmd = program
    .command('emi')
    .description('EMI = I(X; Ŷ) − I(X; Y) of each embedding set (safetensors/npz with x_v, x_t, y_hat, y)')
    .argument('<files...>', 'embedding sets');
  addEstimatorOption(cmd)
    .option('--bootstrap <B>', 'add 95 % intervals for EMI from B Bayesian-bootstrap replicates over rows (0: none)', '0');
  addSeedOption(cmd)
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction(async (files: string[], opts: { estimator: string; bootstrap: string; seed: string; allowEncoderMismatch?: boolean; json?: boolean }) => {
        const bootstrap = parseNonNegativeInt(opts.bootstrap, '--bootstrap');
        const seed = parseNonNegativeInt(opts.seed, '--seed');
        const ckpt = loadClubCheckpoint(resolveEstimatorPath(opts.estimator));
        const sets = loadSets(files, ckpt, new Map(), { allowEncoderMismatch: opts.allowEncoderMismatch ?? false });
        const moments = await clubMomentsFn(ckpt.network);
        const values = new Map<string, EmiValue>();
        for (const s of sets) values.set(s.name, await estimateEmi(s, ckpt.network, moments));
        const intervals: Map<string, Interval> | null = bootstrap > 0 ? await emiIntervals(sets, ckpt.network, { bootstrap, seed, moments }) : null;
        if (opts.json) {
          const json = emiResultsJson(values, opts.estimator);
          printJson(intervals ? emiIntervalsJson(json, intervals, INTERVAL_METHOD, bootstrap, seed) : json);
          return;
        }
        const rows = [...values].map(([name, v]) => {
          const ci = intervals?.get(name);
          return [name, v.n, v.emi, ...(ci ? [ci[0], ci[1]] : []), v.miModel, v.miReference];
        });
        const header = ['set', 'n', 'EMI', ...(intervals ? ['95% lo', '95% hi'] : []), 'I(X;Ŷ)', 'I(X;Y)'];
        process.stdout.write(`${renderTable(header, rows)}\n`);
      }),
    );
}
