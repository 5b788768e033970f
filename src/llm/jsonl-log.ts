/**
 * Append-only JSONL files that survive being killed at any moment: each record is written as
 * one line with a single write and fsync'd before the call returns, so a record is either
 * wholly on disk or (if the process died mid-write) a torn last line. Reading tolerates that
 * torn last line and opening for append cuts it off, so a rerun continues cleanly. A malformed
 * line anywhere else is an error: the file was not written by us, or was damaged. A lock file
 * next to it keeps a second process from appending at the same time.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../errors.js';
import { ensureParentDir, writeFileAtomic } from '../io/atomic-write.js';

export interface JsonlContents {
  /** Parsed JSON value of every complete line, in order (blank lines skipped). */
  readonly values: unknown[];
  /** 1-based line number of each value. */
  readonly lines: number[];
  /** Byte length of the intact part of the file (everything before a torn last line). */
  readonly intactBytes: number;
  /** True when the last line was cut off mid-write and is ignored. */
  readonly torn: boolean;
}

/** Reads a JSONL file written by `JsonlAppender` (or by hand); a missing file reads as empty. */
export function readJsonl(path: string): JsonlContents {
  if (!existsSync(path)) return { values: [], lines: [], intactBytes: 0, torn: false };
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const values: unknown[] = [];
  const lines: number[] = [];
  let start = 0;
  let lineNo = 0;
  while (start < buf.length) {
    lineNo += 1;
    const nl = buf.indexOf(0x0a, start);
    const end = nl === -1 ? buf.length : nl;
    const text = buf.subarray(start, end).toString('utf8').trim();
    const isLast = nl === -1 || nl === buf.length - 1;
    if (text !== '') {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        if (isLast) return { values, lines, intactBytes: start, torn: true };
        throw new InputError(`${path}: line ${lineNo} is not valid JSON (${text.slice(0, 80)}${text.length > 80 ? '…' : ''})`);
      }
      values.push(value);
      lines.push(lineNo);
    }
    start = nl === -1 ? buf.length : nl + 1;
  }
  return { values, lines, intactBytes: buf.length, torn: false };
}

/** True when a process with this id exists (EPERM: it exists but belongs to another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<path>.lock` (holding our pid) so that two writers never append to one file; a lock
 * left by a process that no longer exists (killed) is taken over. Returns the lock's path.
 */
function acquireLock(path: string): string {
  const lock = `${path}.lock`;
  ensureParentDir(path);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new InputError(`cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`);
      }
      let pid = NaN;
      try {
        pid = Number(readFileSync(lock, 'utf8').trim());
      } catch {
        // Removed by its owner meanwhile: try again.
      }
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
        throw new InputError(`${path} is already being written (by process ${pid}); wait for it to finish, or remove ${lock} if no such run is going on`);
      }
      rmSync(lock, { force: true });
    }
  }
  throw new InputError(`cannot lock ${path}: ${lock} keeps reappearing`);
}

/** Appends JSON records to a file, one line each, durably; one writer per file (a lock file). */
export class JsonlAppender {
  readonly path: string;
  private fd: number | undefined;
  private lock: string | undefined;
  private readonly releaseOnExit = () => this.releaseLock();

  /**
   * Locks `path`, reads what it holds (see `readJsonl`), cuts off a torn last line, and opens it
   * for appending (creating it if missing). Reading under the lock means no other writer can
   * add records between the caller's look at the contents and its first append.
   */
  static open(path: string): { appender: JsonlAppender; contents: JsonlContents } {
    const appender = new JsonlAppender(path);
    try {
      const contents = readJsonl(path);
      appender.openForAppend(contents.intactBytes);
      return { appender, contents };
    } catch (e) {
      appender.close();
      throw e;
    }
  }

  private constructor(path: string) {
    this.path = path;
    this.lock = acquireLock(path);
    process.once('exit', this.releaseOnExit);
  }

  private openForAppend(intactBytes: number): void {
    const existed = existsSync(this.path);
    try {
      if (existed) truncateSync(this.path, intactBytes);
      this.fd = openSync(this.path, 'a+');
      const size = fstatSync(this.fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(this.fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) writeSync(this.fd, '\n');
      }
      fsyncSync(this.fd);
      if (!existed) fsyncDir(dirname(this.path));
    } catch (e) {
      throw new InputError(`cannot write ${this.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Writes one record as a line and returns once it is on disk. */
  append(record: unknown): void {
    if (this.fd === undefined) throw new Error(`JsonlAppender: ${this.path} is closed`);
    writeAll(this.fd, Buffer.from(`${JSON.stringify(record)}\n`, 'utf8'));
    fsyncSync(this.fd);
  }

  /** Replaces every record with `records` (atomically, see `rewriteJsonl`), then appends after them. */
  rewrite(records: readonly unknown[]): void {
    if (this.fd === undefined) throw new Error(`JsonlAppender: ${this.path} is closed`);
    closeSync(this.fd);
    this.fd = undefined;
    rewriteJsonl(this.path, records);
    this.openForAppend(readJsonl(this.path).intactBytes);
  }

  /** Closes the file and releases the lock. */
  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.releaseLock();
  }

  private releaseLock(): void {
    if (this.lock !== undefined) {
      rmSync(this.lock, { force: true });
      this.lock = undefined;
      process.off('exit', this.releaseOnExit);
    }
  }
}

/**
 * Replaces the file's contents with `records` atomically (write a temporary file, fsync,
 * rename over the original), so a kill leaves either the old or the new file.
 */
export function rewriteJsonl(path: string, records: readonly unknown[]): void {
  try {
    writeFileAtomic(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    fsyncDir(dirname(path));
  } catch (e) {
    throw new InputError(`cannot rewrite ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Directories cannot be opened for fsync on some platforms (Windows); the file itself is synced.
  }
}
