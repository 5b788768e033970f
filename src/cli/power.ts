/**
 * `mllmshift power RESULTS [--effect D] [--alpha A] [--power P] [--json]`: from a pilot's
 * results (`emid --json` with --bootstrap, or a run's results.json), per OOD scenario the
 * smallest EMID detectable at its n and the n needed to detect an EMID of D (default: the
 * scenario's own |EMID|) at the target power (pipeline/power.ts).
 */
import type { Command } from 'commander';
import { printJson, runAction } from './run-action.js';
import { readResultsFile } from '../pipeline/results-import.js';
import { powerAnalysis } from '../pipeline/power.js';
import { fmt, renderTable } from '../report/table.js';
import { UsageError } from '../errors.js';

interface PowerCliOptions {
  effect?: string;
  alpha: string;
  power: string;
  json?: boolean;
}

function probability(text: string, flag: string): number {
  const v = Number(text);
  if (!(v > 0 && v < 1)) throw new UsageError(`${flag} must be a number in (0, 1), got "${text}"`);
  return v;
}

export function register(program: Command): void {
  program
    .command('power')
    .description('samples per scenario needed to detect an EMID, and the smallest detectable EMID at the pilot\'s n (from its bootstrap intervals)')
    .argument('<results>', 'pilot results: `mllmshift emid --json --bootstrap B` output or a run\'s results.json')
    .option('--effect <D>', 'EMID to detect (default: each scenario\'s own |EMID|)')
    .option('--alpha <A>', 'two-sided significance level', '0.05')
    .option('--power <P>', 'target power', '0.8')
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction((file: string, opts: PowerCliOptions) => {
        const alpha = probability(opts.alpha, '--alpha');
        const power = probability(opts.power, '--power');
        let effect: number | undefined;
        if (opts.effect !== undefined) {
          effect = Number(opts.effect);
          if (!(Number.isFinite(effect) && effect !== 0)) throw new UsageError(`--effect must be a non-zero number, got "${opts.effect}"`);
        }
        const a = powerAnalysis(readResultsFile(file), file, { effect, alpha, power });
        if (opts.json) {
          printJson(a);
          return;
        }
        const rows = a.scenarios.map((s) => [s.name, s.n, fmt(s.emid), fmt(s.se), fmt(s.minimumDetectable), fmt(s.effect), s.requiredN, fmt(s.powerAtN, 3)]);
        process.stdout.write(
          `Power of the two-sided EMID ≠ 0 test at α = ${a.alpha}, target power ${a.power} (normal approximation, SE from the bootstrap interval, scaled as 1/√n)\n`
          + `${renderTable(['OOD set', 'n', 'EMID', 'SE', `MDE (power ${a.power})`, 'effect', 'n needed', 'power at n'], rows)}\n`,
        );
      }),
    );
}
