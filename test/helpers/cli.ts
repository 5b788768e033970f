/**
 * Run the CLI from source (through tsx) as a child process, as a user would run it.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir } from './tmp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

let cacheDir: string | undefined;
/**
 * The environment of a CLI child: the caller's variables over this process's, with the response,
 * embedding and models caches in a folder of this test file's own unless the caller names one —
 * never the user's ~/.cache, which other test files and earlier runs share (a cached reply
 * from another run's server on a reused port would stand in for a request the test expects).
 */
export function childEnv(env: Record<string, string> | undefined): NodeJS.ProcessEnv {
  cacheDir ??= tempDir('mllmshift-cache-');
  return { ...process.env, MLLMSHIFT_CACHE_DIR: cacheDir, ...env };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], env: Record<string, string> = {}): CliResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: childEnv(env),
    timeout: 240_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface AsyncCliResult extends CliResult {
  /** The signal that ended the process, if any (code is then -1). */
  readonly signal: NodeJS.Signals | null;
}

/**
 * The same without blocking the event loop, for tests that serve an endpoint from their own
 * process; `onSpawn` receives the child (e.g. to kill it midway).
 */
export function runCliAsync(
  args: readonly string[],
  opts: { readonly env?: Record<string, string>; readonly onSpawn?: (child: ChildProcess) => void; readonly timeoutMs?: number } = {},
): Promise<AsyncCliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: childEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    // Like runCli's timeout: a hung command is killed, and the test fails on its signal.
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
    opts.onSpawn?.(child);
  });
}
