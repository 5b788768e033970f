/**
 * `mllmshift demo [--out DIR]`: the whole pipeline on a built-in simulated benchmark, offline.
 */
import { UsageError } from '../errors.js';
import type { Command } from 'commander';
import { printJson, runAction } from './run-action.js';
import { parseNonNegativeInt } from './options.js';
import { reportRenderer } from './report-renderer.js';
import { fmt, fmtP } from '../report/table.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the whole pipeline on a built-in SIMULATED benchmark (no network, no downloads) and write the report')
    .option('--out <dir>', 'output folder', 'mllmshift-demo')
    .option('--scenes <n>', 'procedural scenes in the benchmark (3 questions each)', '10')
    .option('--seed <n>', 'random seed', '0')
    .option('--json', 'print one JSON document on stdout (the summary below; the full results are in results.json)')
    .action(
      runAction(async (opts: { out: string; scenes: string; seed: string; json?: boolean }) => {
        const t0 = performance.now();
        // The pipeline (and its native modules) is loaded only when the command runs.
        const { DEMO_NOTICE, runDemo } = await import('../demo/demo.js');
        const scenes = parseNonNegativeInt(opts.scenes, '--scenes');
        if (scenes < 2) throw new UsageError(`--scenes must be at least 2 (one ID and one shifted set need a few samples each), got "${opts.scenes}"`);
        const outcome = await runDemo({ outDir: opts.out, scenes, seed: parseNonNegativeInt(opts.seed, '--seed'), renderReport: await reportRenderer() });
        const r = outcome.results;
        const c = r.correlations;
        const seconds = (performance.now() - t0) / 1000;
        if (opts.json) {
          printJson({
            simulation: true, notice: DEMO_NOTICE, idScenario: r.run.idScenario, scenarios: r.scenarios.length, samplesPerScenario: r.scenarios[0].n,
            spearmanEmiAccuracy: outcome.spearmanEmiAccuracy, correlations: c, PearsonR: r.PearsonR, PearsonPval: r.PearsonPval,
            boundHoldsEverywhere: r.boundHoldsEverywhere, seconds, results: outcome.resultsPath, report: outcome.reportPath ?? null,
          });
          return;
        }
        const lines = [
          '',
          DEMO_NOTICE,
          '',
          `scenarios: ${r.scenarios.length} (ID ${r.run.idScenario} + ${r.scenarios.length - 1} shifted), ${r.scenarios[0].n} samples each`,
          `EMI vs simulated accuracy: Spearman ρ = ${fmt(outcome.spearmanEmiAccuracy, 3)}${c.emiVsSimulatedAccuracy ? ` (p ${fmtP(c.emiVsSimulatedAccuracy.spearman.p).startsWith('<') ? '' : '= '}${fmtP(c.emiVsSimulatedAccuracy.spearman.p)}), Pearson r = ${fmt(c.emiVsSimulatedAccuracy.pearson.r, 3)}` : ''}`,
          c.emiVsRelativePreference ? `EMI vs judge relative preference: Spearman ρ = ${fmt(c.emiVsRelativePreference.spearman.rho, 3)}, Pearson r = ${fmt(c.emiVsRelativePreference.pearson.r, 3)}` : '',
          `EMID vs bound: Pearson r = ${fmt(r.PearsonR, 3)} (p ${fmtP(r.PearsonPval).startsWith('<') ? '' : '= '}${fmtP(r.PearsonPval)}); EMID ≤ bound in every scenario: ${r.boundHoldsEverywhere ? 'yes' : 'no'}`,
          `finished in ${seconds.toFixed(1)} s`,
          '',
          `results: ${outcome.resultsPath}`,
          `report:  ${outcome.reportPath ?? '(not written)'}`,
        ].filter((l, i, a) => l !== '' || a[i - 1] !== '');
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
