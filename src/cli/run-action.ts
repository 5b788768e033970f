/**
 * Wraps a command's action so that every failure ends as one line on stderr and an exit code
 * (DESIGN.md §6: 0 success, 1 failure while running, 2 bad usage or bad input). Stacks are
 * printed only with MLLMSHIFT_DEBUG=1.
 */
import { MllmshiftError } from '../errors.js';

export function reportFailure(e: unknown): number {
  if (e instanceof MllmshiftError) {
    process.stderr.write(`mllmshift: ${e.message}\n`);
    if (process.env.MLLMSHIFT_DEBUG === '1' && e.stack) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`mllmshift: internal error: ${msg}\n`);
  if (process.env.MLLMSHIFT_DEBUG === '1' && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return 1;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function runAction<A extends any[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      process.exitCode = reportFailure(e);
    }
  };
}

/** Print one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
