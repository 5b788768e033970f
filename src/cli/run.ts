/**
 * `mllmshift run CONFIG.yaml`: a whole study (shift → infer → judge → embed → estimate →
 * report), resumable: rerun the same command after an interruption and it continues.
 */
import type { Command } from 'commander';
import { printJson, runAction } from './run-action.js';
import { reportRenderer } from './report-renderer.js';

export function register(program: Command): void {
  program
    .command('run')
    .description('run a whole study from a YAML configuration (see examples/run.yaml); resumable')
    .argument('<config>', 'run configuration (YAML)')
    .option('--json', 'print the results JSON on stdout')
    .option('--check', 'only the preflight: check data sets, images, encoders, estimator, output folder and endpoints (one GET /models each); no paid request')
    .action(
      runAction(async (configPath: string, opts: { json?: boolean; check?: boolean }) => {
        // The pipeline (and its native modules) is loaded only when the command runs.
        const { loadRunConfig } = await import('../pipeline/config.js');
        if (opts.check) {
          const { preflight } = await import('../pipeline/preflight.js');
          const report = await preflight(loadRunConfig(configPath), { log: (l) => process.stderr.write(`${l}\n`) });
          if (opts.json) printJson(report);
          process.stderr.write(`check: ${configPath} is ready to run\n`);
          return;
        }
        const { runStudy } = await import('../pipeline/run.js');
        const config = loadRunConfig(configPath);
        const outcome = await runStudy(config, { renderReport: await reportRenderer() });
        if (opts.json) printJson(outcome.results);
        process.stderr.write(
          `run: ${outcome.ran.length} stage step(s) ran, ${outcome.skipped.length} skipped (already complete)\n`
          + `results: ${outcome.resultsPath}\n${outcome.reportPath ? `report:  ${outcome.reportPath}\n` : ''}`,
        );
      }),
    );
}
