/**
 * A concurrency limiter: at most `limit` tasks run at once, the rest wait in FIFO order.
 * `peak` records the largest number ever running together, so callers and tests can check
 * that the limit held.
 */
export class Limiter {
  readonly limit: number;
  private active = 0;
  private peakActive = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`Limiter: limit must be a positive integer, got ${limit}`);
    }
    this.limit = limit;
  }

  /** Number of tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Largest number of tasks that ever ran at the same time. */
  get peak(): number {
    return this.peakActive;
  }

  /** Runs `task` once a slot is free; the slot is released when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.active += 1;
    if (this.active > this.peakActive) this.peakActive = this.active;
    try {
      return await task();
    } finally {
      this.active -= 1;
      const next = this.waiting.shift();
      if (next) next();
    }
  }
}
