/**
 * Error classes, one per kind of failure. The CLI maps each to an exit code and prints only
 * its message (one line, naming the file/field/row and what was expected) — never a stack.
 *
 * - InputError  (exit 2): a file or value given by the user is missing, malformed or invalid.
 * - UsageError  (exit 2): bad command-line usage (unknown option value, missing argument).
 * - ConfigError (exit 2): a run configuration that does not validate.
 * - RemoteError (exit 1): an endpoint failed after retries (HTTP status, timeout, network).
 * - RunError    (exit 1): a failure while running that is not the user's input.
 */
export class MllmshiftError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

export class InputError extends MllmshiftError {
  constructor(message: string) {
    super(message, 2);
  }
}

export class UsageError extends MllmshiftError {
  constructor(message: string) {
    super(message, 2);
  }
}

export class ConfigError extends MllmshiftError {
  constructor(message: string) {
    super(message, 2);
  }
}

export class RemoteError extends MllmshiftError {
  constructor(message: string) {
    super(message, 1);
  }
}

export class RunError extends MllmshiftError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** File-system failures the user can fix (a path that is not what it should be): exit 2. */
const PATH_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a file stands where a folder is needed',
  EISDIR: 'a folder stands where a file is needed',
  EEXIST: 'already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many levels of symbolic links',
};

/** File-system failures of the machine while running (disk full, I/O): exit 1. */
const RESOURCE_PROBLEMS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/**
 * A Node.js system error that carries a path (from fs), as the error the user sees: one line
 * naming the path and what is wrong with it, exit 2 for a path to fix, 1 for a full disk or an
 * I/O failure. Anything else: undefined.
 */
export function fileSystemError(e: unknown): MllmshiftError | undefined {
  if (!(e instanceof Error)) return undefined;
  const { code, path, syscall } = e as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof path !== 'string') return undefined;
  const what = syscall ? ` (${syscall})` : '';
  // mkdir's EEXIST: something that is not a folder already has the name.
  const problem = code === 'EEXIST' && syscall === 'mkdir' ? PATH_PROBLEMS.ENOTDIR : PATH_PROBLEMS[code];
  if (problem !== undefined) return new InputError(`${path}: ${problem}${what}; check the path`);
  if (code in RESOURCE_PROBLEMS) return new RunError(`${path}: ${RESOURCE_PROBLEMS[code]}${what}`);
  return undefined;
}
