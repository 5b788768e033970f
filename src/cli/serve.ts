/**
 * `mllmshift serve RUN_DIR [--port N]`: the read-only sample explorer of a finished run on
 * 127.0.0.1 (pipeline/explorer.ts). Prints its URL; runs until interrupted.
 */
import type { Command } from 'commander';
import { runAction } from './run-action.js';
import { parseNonNegativeInt } from './options.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('explore a finished run in the browser: every sample under every shift, ranked by drop (127.0.0.1, read-only, offline)')
    .argument('<run-dir>', 'the output folder of `mllmshift run` (or the run/ folder of `mllmshift demo`)')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '8765')
    .action(
      runAction(async (runDir: string, opts: { port: string }) => {
        const port = parseNonNegativeInt(opts.port, '--port');
        const { startExplorer } = await import('../pipeline/explorer.js');
        const explorer = await startExplorer(runDir, port);
        process.stdout.write(`${explorer.url}\n`);
        process.stderr.write('serving read-only on 127.0.0.1; Ctrl-C to stop\n');
        await new Promise<void>((done) => {
          const stop = (): void => { void explorer.close().then(done); };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
}
