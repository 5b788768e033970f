/**
 * `mllmshift emi FILE… --estimator CKPT [--json]`: EMI (E8) of each embedding set.
 */
import type { Command } from 'commander';
import { addEstimatorOption } from './options.js';
import { loadClubCheckpoint, loadSets } from './load-sets.js';
import { printJson, runAction } from './run-action.js';
import { estimateEmi, type EmiValue } from '../pipeline/estimate.js';
import { emiResultsJson } from '../report/results-json.js';
import { renderTable } from '../report/table.js';
import { clubMomentsFn } from '../accel/club-moments.js';

export function register(program: Command): void {
  const cmd = program
    .command('emi')
    .description('EMI = I(X; Ŷ) − I(X; Y) of each embedding set (safetensors/npz with x_v, x_t, y_hat, y)')
    .argument('<files...>', 'embedding sets');
  addEstimatorOption(cmd)
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction(async (files: string[], opts: { estimator: string; json?: boolean }) => {
        const ckpt = loadClubCheckpoint(opts.estimator);
        const sets = loadSets(files, ckpt);
        const moments = await clubMomentsFn(ckpt.network);
        const values = new Map<string, EmiValue>();
        for (const s of sets) values.set(s.name, await estimateEmi(s, ckpt.network, moments));
        if (opts.json) {
          printJson(emiResultsJson(values, opts.estimator));
          return;
        }
        const rows = [...values].map(([name, v]) => [name, v.n, v.emi, v.miModel, v.miReference]);
        process.stdout.write(`${renderTable(['set', 'n', 'EMI', 'I(X;Ŷ)', 'I(X;Y)'], rows)}\n`);
      }),
    );
}
