/**
 * Cutting a stream of requests into windows — by count (every `size` requests) or by calendar
 * hour/day (UTC) — and keeping a seeded uniform sample of each window (reservoir sampling,
 * Vitter's algorithm R), so a window of any length costs `sample` records of memory.
 */
import { createHash } from 'node:crypto';
import { Rng } from '../core/random.js';
import type { TrafficRecord } from './traffic.js';

export type WindowBy = 'count' | 'hour' | 'day';

export interface OpenWindow {
  readonly key: string;
  /** 0-based position among the windows of the log. */
  readonly index: number;
  /** Calendar start (time windows), or the first record's time. */
  readonly start: number | null;
  end: number | null;
  requests: number;
  readonly sample: TrafficRecord[];
  readonly rng: Rng;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Seed of a window's sampler: the run seed and the window key, hashed. */
function windowSeed(seed: number, key: string): number {
  return createHash('sha256').update(`${seed}:${key}`).digest().readUInt32LE(0);
}

export type Placement = { readonly kind: 'placed' } | { readonly kind: 'closed'; readonly window: OpenWindow } | { readonly kind: 'late' } | { readonly kind: 'untimed' };

/**
 * Feeds records in log order; `push` returns the window that closed when a record opens a new
 * one. A record older than the open time window is `late` (its window was already closed)
 * and a record without a time under time windows is `untimed`; both are counted by the caller.
 */
export class Windower {
  private open: OpenWindow | null = null;
  private ordinal = 0;
  private nextIndex = 0;

  constructor(private readonly by: WindowBy, private readonly size: number, private readonly capacity: number, private readonly seed: number) {}

  private keyOf(r: TrafficRecord): { key: string; start: number | null } | null {
    if (this.by === 'count') {
      const k = Math.floor(this.ordinal / this.size);
      return { key: `n${String(k).padStart(8, '0')}`, start: null };
    }
    if (r.time === null) return null;
    const span = this.by === 'hour' ? HOUR : DAY;
    const start = Math.floor(r.time / span) * span;
    return { key: new Date(start).toISOString(), start };
  }

  push(r: TrafficRecord): Placement & { key?: string } {
    const k = this.keyOf(r);
    if (k === null) return { kind: 'untimed' };
    let closed: OpenWindow | null = null;
    if (this.open && this.open.key !== k.key) {
      if (this.by !== 'count' && k.start !== null && this.open.start !== null && k.start < this.open.start) return { kind: 'late' };
      closed = this.open;
      this.open = null;
    }
    if (!this.open) {
      this.open = { key: k.key, index: this.nextIndex++, start: k.start ?? r.time, end: r.time, requests: 0, sample: [], rng: new Rng(windowSeed(this.seed, k.key)) };
    }
    const w = this.open;
    this.ordinal += 1;
    w.requests += 1;
    if (r.time !== null) w.end = w.end === null ? r.time : Math.max(w.end, r.time);
    if (w.sample.length < this.capacity) w.sample.push(r);
    else {
      const j = w.rng.int(w.requests);
      if (j < this.capacity) w.sample[j] = r;
    }
    return closed ? { kind: 'closed', window: closed, key: w.key } : { kind: 'placed', key: w.key };
  }

  /** The window still open at the end of the log (null if none). */
  finish(): OpenWindow | null {
    const w = this.open;
    this.open = null;
    return w;
  }

  /** True when the open window is a complete count window (it cannot grow any more). */
  openIsFull(): boolean {
    return this.by === 'count' && this.open !== null && this.open.requests >= this.size;
  }
}
