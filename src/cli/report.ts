/**
 * `mllmshift report RESULTS.json [--out FILE] [--json]`: the self-contained HTML report of a
 * study's results.json (written by `run` or `demo`), of `emid --json` output or of an
 * authors' result file (pipeline/results-import.ts). Default output: report.html next to the
 * results file. Prints the path of the written page.
 */
import type { Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { printJson, runAction } from './run-action.js';
import { readResultsFile } from '../pipeline/results-import.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('write the self-contained HTML report (summary, tables, plots) of a results.json')
    .argument('<results>', 'results.json of `mllmshift run`/`demo`, `mllmshift emid --json` output, or an authors\' result file')
    .option('--out <file>', 'where to write the page (default: report.html next to the results file)')
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction(async (file: string, opts: { out?: string; json?: boolean }) => {
        const results = readResultsFile(file);
        // Loaded on demand: the plots pull in Observable Plot and linkedom.
        const { writeReportHtml } = await import('../report/html.js');
        const out = resolve(opts.out ?? join(dirname(file), 'report.html'));
        writeReportHtml(out, results);
        if (opts.json) printJson({ report: out, scenarios: results.scenarios.length, simulated: results.run.simulated });
        else process.stdout.write(`${out}\n`);
      }),
    );
}
