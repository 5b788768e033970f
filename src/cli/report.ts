/**
 * `mllmshift report RESULTS.json [--out FILE] [--json]`: the self-contained HTML report of a
 * study's results.json (written by `run` or `demo`), of `emid --json` output or of an
 * authors' result file (pipeline/results-import.ts). Default output: report.html next to the
 * results file. `--export DIR` also writes every figure (SVG, PNG) and table (CSV, LaTeX) into
 * DIR (report/export.ts), and the page links them. Prints the paths written.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { printJson, runAction } from './run-action.js';
import { readResultsFile } from '../pipeline/results-import.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('write the self-contained HTML report (summary, tables, plots) of a results.json')
    .argument('<results>', 'results.json of `mllmshift run`/`demo`, `mllmshift emid --json` output, or an authors\' result file')
    .option('--out <file>', 'where to write the page (default: report.html next to the results file)')
    .option('--export <dir>', 'also write every figure as SVG and PNG and every table as CSV and LaTeX (booktabs) into this folder; the page links them')
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction(async (file: string, opts: { out?: string; export?: string; json?: boolean }) => {
        const results = readResultsFile(file);
        // Loaded on demand: the plots pull in Observable Plot and linkedom.
        const { writeReportHtml } = await import('../report/html.js');
        const out = resolve(opts.out ?? join(dirname(file), 'report.html'));
        let exported: { kind: string; path: string }[] = [];
        let exportPrefix: string | undefined;
        if (opts.export !== undefined) {
          const dir = resolve(opts.export);
          const { exportReport } = await import('../report/export.js');
          exported = await exportReport(results, dir);
          const rel = relative(dirname(out), dir).split(sep).join('/');
          exportPrefix = rel === '' ? '' : `${rel}/`;
        }
        // A study's results sit in its run folder: the run store gives "why it hurts".
        const runDir = dirname(resolve(file));
        const hurts = results.run.source === 'run' && existsSync(join(runDir, 'run.sqlite')) ? await (await import('../pipeline/why-it-hurts.js')).whyItHurts(results, runDir) : null;
        writeReportHtml(out, results, { exportPrefix, whyItHurts: hurts });
        if (opts.json) printJson({ report: out, scenarios: results.scenarios.length, simulated: results.run.simulated, exported: exported.map((f) => f.path) });
        else process.stdout.write(`${[out, ...exported.map((f) => f.path)].join('\n')}\n`);
      }),
    );
}
