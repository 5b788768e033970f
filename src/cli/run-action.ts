/**
 * Wraps a command's action so that every failure ends as one line on stderr and an exit code
 * (DESIGN.md §6: 0 success, 1 failure while running, 2 bad usage or bad input). Stacks are
 * printed only with MLLMSHIFT_DEBUG=1.
 */
import { fileSystemError, MllmshiftError, RunError } from '../errors.js';

export function reportFailure(failure: unknown): number {
  // A file-system error with a path is the user's to fix (or a full disk), not an internal error.
  const e = fileSystemError(failure) ?? failure;
  if (e instanceof MllmshiftError) {
    process.stderr.write(`mllmshift: ${e.message}\n`);
    const stack = failure instanceof Error ? failure.stack : undefined;
    if (process.env.MLLMSHIFT_DEBUG === '1' && stack) process.stderr.write(`${stack}\n`);
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

/** The path (e.g. `results[2].emi`) of the first NaN or ±Infinity in a JSON-bound value. */
export function firstNonFiniteField(value: unknown, path = '$'): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = firstNonFiniteField(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
  } else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const [k, v] of Object.entries(value)) {
      const bad = firstNonFiniteField(v, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return undefined;
}

/**
 * Print one JSON document on stdout. A NaN or Infinity (which JSON would print as null) is a
 * failure, never a result: it is reported, with its field, instead of being printed.
 */
export function printJson(value: unknown): void {
  const bad = firstNonFiniteField(value);
  if (bad !== undefined) throw new RunError(`the result has a non-finite number at ${bad}; nothing was printed (rerun with MLLMSHIFT_DEBUG=1 and report it)`);
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
