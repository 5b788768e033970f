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
