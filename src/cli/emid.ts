/**
 * `mllmshift emid --id FILE --ood FILE… --estimator CKPT [--bound …] [--entropy-scaler H]
 * [--jsd-mixture …] [--seed N] [--bootstrap B] [--permutations B] [--json]`: EMI, EMID (E2), the JSD
 * terms (E10) and the bound (E3) per OOD set, and the correlation of EMID with the bound across OOD
 * sets; optionally 95 % intervals and a permutation p-value of EMID ≠ 0.
 */
import type { Command } from 'commander';
import { addBoundOptions, addEstimatorOption, addSeedOption, parseBoundOptions, parseNonNegativeInt } from './options.js';
import { loadClubCheckpoint, loadSets, oodWithoutId } from './load-sets.js';
import { resolveEstimatorPath } from '../encode/artefacts.js';
import { printJson, runAction } from './run-action.js';
import { analyseEmid } from '../pipeline/estimate.js';
import { emidResultsJson, emidUncertaintyJson, type EmidResultsJson, type EmidUncertaintyJson } from '../pipeline/results-json.js';
import { emidUncertainty } from '../pipeline/estimate-intervals.js';
import { fmt, fmtP, renderTable } from '../report/table.js';
import { clubMomentsFn } from '../accel/club-moments.js';
import { gemmBackend } from '../accel/cross-products.js';
import { EntropyPool } from '../accel/entropy-pool.js';

interface EmidCliOptions {
  id: string;
  ood: string[];
  estimator: string;
  bound: string;
  entropyScaler: string;
  jsdMixture: string;
  seed: string;
  bootstrap: string;
  permutations: string;
  allowEncoderMismatch?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('emid')
    .description('EMID = EMI(ID) − EMI(OOD), the four JSD terms and the EMID upper bound for each OOD set')
    .requiredOption('--id <file>', 'in-distribution embedding set')
    .requiredOption('--ood <files...>', 'one or more OOD embedding sets');
  addEstimatorOption(cmd);
  addBoundOptions(cmd)
    .option('--bootstrap <B>', 'add 95 % intervals for EMI, EMID, each JSD term and the bound from B Bayesian-bootstrap replicates over rows (0: none)', '0')
    .option('--permutations <B>', 'p-value of EMID ≠ 0 from B permutations of set membership between ID and OOD rows (0: none)', '0');
  addSeedOption(cmd)
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction(async (opts: EmidCliOptions) => {
        const bound = parseBoundOptions(opts);
        const seed = parseNonNegativeInt(opts.seed, '--seed');
        const bootstrap = parseNonNegativeInt(opts.bootstrap, '--bootstrap');
        const permutations = parseNonNegativeInt(opts.permutations, '--permutations');
        const ckpt = loadClubCheckpoint(resolveEstimatorPath(opts.estimator));
        const seen = new Map<string, string>();
        const allow = { allowEncoderMismatch: opts.allowEncoderMismatch ?? false };
        const [id] = loadSets([opts.id], ckpt, seen, allow);
        const oods = loadSets(oodWithoutId(opts.id, opts.ood, (line) => process.stderr.write(`${line}\n`)), ckpt, seen, allow);
        const pool = new EntropyPool();
        let analysis;
        let uncertainty = null;
        try {
          const moments = await clubMomentsFn(ckpt.network);
          const gemm = await gemmBackend();
          analysis = await analyseEmid(id, oods, ckpt.network, { ...bound, seed, moments, gemm, entropy: pool.entropy });
          if (bootstrap > 0 || permutations > 0) {
            uncertainty = await emidUncertainty(id, oods, ckpt.network, { ...bound, bootstrap, permutations, seed, moments, gemm, runner: pool, progress: true });
          }
        } finally {
          await pool.close();
        }
        const unit = ckpt.network.boundedLogvar ? 'score' : 'nats';
        const json: EmidResultsJson & Partial<EmidUncertaintyJson> = uncertainty ? emidUncertaintyJson(emidResultsJson(analysis, ckpt.path, unit), uncertainty) : emidResultsJson(analysis, ckpt.path, unit);
        if (opts.json) {
          printJson(json);
          return;
        }
        const rows = analysis.ood.map((o) => [o.name, o.emi.emi, o.emid, o.jsd.visual, o.jsd.text, o.jsd.oodOutput, o.bound]);
        const out = [
          `ID ${analysis.id.name}: EMI ${fmt(analysis.id.emi.emi)}  (n = ${analysis.id.emi.n}), J_P = JSD(ID Ŷ ‖ ID Y) = ${fmt(analysis.ood[0]?.jsd.idOutput ?? null)}`,
          '',
          renderTable(['OOD set', 'EMI', 'EMID', 'J_v', 'J_t', 'J_Q', `bound (${bound.bound})`], rows),
          '',
          `JSD null baseline (random ID halves of ${analysis.jsdNull.halfSize}): visual ${fmt(analysis.jsdNull.visual)}, text ${fmt(analysis.jsdNull.text)}, output ${fmt(analysis.jsdNull.output)}`,
          `EMID vs bound over ${analysis.ood.length} OOD sets: Pearson r ${fmt(json.PearsonR, 4)} (p ${fmtP(json.PearsonPval)}), Spearman ρ ${fmt(json.SpearmanR, 4)} (p ${fmtP(json.SpearmanPval)}), Kendall τ-b ${fmt(json.KendallTau, 4)} (p ${fmtP(json.KendallPval)})`,
        ];
        if (uncertainty) {
          const ci = (v: readonly [number, number] | null | undefined): string => (v ? `[${fmt(v[0])}, ${fmt(v[1])}]` : '—');
          const rows2 = analysis.ood.map((o) => {
            const u = uncertainty.ood.get(o.name);
            return [o.name, ci(u?.emid), u?.emidPValue ?? null, json.EMID_PermutationPval_Holm?.[o.name] ?? null, json.EMID_PermutationPval_BH?.[o.name] ?? null, ci(u?.jsd?.visual), ci(u?.jsd?.text), ci(u?.jsd?.oodOutput), ci(u?.bound)];
          });
          out.push('', `Uncertainty (${uncertainty.method}, ${bootstrap} replicates, ${permutations} permutations): ID EMI 95 % ${ci(uncertainty.idEmi)}, J_P 95 % ${ci(uncertainty.ood.values().next().value?.jsd?.idOutput)}`);
          out.push(renderTable(['OOD set', 'EMID 95%', 'p(EMID≠0)', 'p Holm', 'p BH', 'J_v 95%', 'J_t 95%', 'J_Q 95%', 'bound 95%'], rows2));
        }
        process.stdout.write(`${out.join('\n')}\n`);
      }),
    );
}
