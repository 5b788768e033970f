#!/usr/bin/env node
/**
 * The `mllmshift` command. Each command lives in its own file under src/cli/ and exports a
 * `register(program)` function; this file only assembles them. Only the module of the command
 * being run is loaded (all of them for top-level help or an unknown name), so a command does
 * not pay for the libraries of the others at start-up.
 */
import { Command, CommanderError } from 'commander';
import { reportFailure } from './run-action.js';
import { VERSION } from '../version.js';

type CommandModule = { register(program: Command): void };

/** Command name → its module, in the order `--help` lists them. */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  emi: () => import('./emi.js'),
  emid: () => import('./emid.js'),
  mi: () => import('./mi.js'),
  'train-estimator': () => import('./train-estimator.js'),
  infer: () => import('./infer.js'),
  judge: () => import('./judge.js'),
  shift: () => import('./shift.js'),
  embed: () => import('./embed.js'),
  models: () => import('./models.js'),
  report: () => import('./report.js'),
  serve: () => import('./serve.js'),
  run: () => import('./run.js'),
  demo: () => import('./demo.js'),
  monitor: () => import('./monitor.js'),
  power: () => import('./power.js'),
};

const program = new Command();
program
  .name('mllmshift')
  .description('Measure and bound MLLM degradation under distribution shift (EMI, EMID, JSD upper bound).')
  .version(VERSION)
  .showHelpAfterError(false)
  .exitOverride();

try {
  const name = process.argv[2];
  const wanted = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
  for (const m of await Promise.all(wanted.map((n) => COMMANDS[n]()))) m.register(program);
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Commander already printed its message; --help / --version exit 0, usage errors exit 2.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportFailure(e);
  }
}
