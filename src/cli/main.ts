#!/usr/bin/env node
/**
 * The `mllmshift` command. Each command lives in its own file under src/cli/ and exports a
 * `register(program)` function; this file only assembles them.
 */
import { Command, CommanderError } from 'commander';
import { reportFailure } from './run-action.js';
import { VERSION } from '../version.js';
import { register as registerEmi } from './emi.js';
import { register as registerEmid } from './emid.js';
import { register as registerMi } from './mi.js';
import { register as registerTrainEstimator } from './train-estimator.js';
import { register as registerInfer } from './infer.js';
import { register as registerJudge } from './judge.js';
import { register as registerShift } from './shift.js';
import { register as registerEmbed } from './embed.js';
import { register as registerModels } from './models.js';
import { register as registerReport } from './report.js';
import { register as registerRun } from './run.js';
import { register as registerDemo } from './demo.js';

const program = new Command();
program
  .name('mllmshift')
  .description('Measure and bound MLLM degradation under distribution shift (EMI, EMID, JSD upper bound).')
  .version(VERSION)
  .showHelpAfterError(false)
  .exitOverride();

registerEmi(program);
registerEmid(program);
registerMi(program);
registerTrainEstimator(program);
registerInfer(program);
registerJudge(program);
registerShift(program);
registerEmbed(program);
registerModels(program);
registerReport(program);
registerRun(program);
registerDemo(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Commander already printed its message; --help / --version exit 0, usage errors exit 2.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportFailure(e);
  }
}
