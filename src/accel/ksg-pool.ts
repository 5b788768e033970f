/**
 * KSG neighbour searches on a pool of worker threads (a `KsgRunner` for ksgEstimator). The
 * prepared X and Y go to every worker as SharedArrayBuffers; each worker builds its own k-d
 * trees and claims work from a shared atomic counter: contiguous ranges of joint-tree positions
 * for the point estimate, whole half-sample replicates for the interval. Workers write into
 * shared output indexed by point (or replicate) and the caller sums in index order, so results
 * are bit-identical to the in-thread computation whatever the number of workers (same core
 * code, same per-point values, same summation order). Small inputs (n < minRows) stay in-thread:
 * a worker costs tens of milliseconds to start (more under tsx) and builds its own trees.
 */
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { spawnSiblingWorker } from './spawn-worker.js';
import { inThreadKsg, type KsgData, type KsgRunner } from '../core/estimators/ksg.js';

/** One job, posted to every worker; they share its work through `counter`. */
export interface KsgJob {
  readonly id: number;
  /** 'terms': per-point terms of all rows; 'subsets': KSG on each half-sample. */
  readonly kind: 'terms' | 'subsets';
  readonly n: number;
  readonly x: SharedArrayBuffer;
  readonly dx: number;
  readonly y: SharedArrayBuffer;
  readonly dy: number;
  readonly k: number;
  /** Int32 [next task to claim, workers finished]. */
  readonly counter: SharedArrayBuffer;
  /** Tasks: chunks of joint-tree positions, or replicates. */
  readonly tasks: number;
  /** 'terms': joint-tree positions per chunk. */
  readonly chunk: number;
  /** 'subsets': Int32 [tasks, m] row indices. */
  readonly subsets: SharedArrayBuffer | null;
  readonly m: number;
  /** Float64 [n] terms or [tasks] replicate estimates. */
  readonly out: SharedArrayBuffer;
}

/** A worker's reply: done, or the error its computation threw. */
export interface KsgReply {
  readonly id: number;
  readonly error?: { readonly name: string; readonly message: string };
}

export interface KsgPoolOptions {
  /** Worker threads. Default: available parallelism, at most 4; below 2 everything runs in-thread. */
  readonly size?: number;
  /** Fewest rows worth sending to workers. Default 2,000. */
  readonly minRows?: number;
}

interface Pending {
  remaining: number;
  resolve(): void;
  reject(e: Error): void;
}

function shared(a: Float64Array | Int32Array): SharedArrayBuffer {
  const buf = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(buf).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return buf;
}

export class KsgPool implements KsgRunner {
  readonly size: number;
  readonly minRows: number;
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failed: Error | null = null;
  private closed = false;

  constructor(options: KsgPoolOptions = {}) {
    this.size = options.size ?? Math.max(1, Math.min(4, availableParallelism()));
    this.minRows = options.minRows ?? 2000;
  }

  private useWorkers(n: number): boolean {
    return this.size >= 2 && n >= this.minRows;
  }

  async terms(data: KsgData, k: number): Promise<Float64Array> {
    const n = data.x.rows;
    if (!this.useWorkers(n)) return inThreadKsg.terms(data, k);
    // ~64 chunks balance the load; each starts its search without the previous point's bound.
    const chunk = Math.max(64, Math.ceil(n / 64));
    const out = new SharedArrayBuffer(n * 8);
    await this.run({ kind: 'terms', n, k, tasks: Math.ceil(n / chunk), chunk, subsets: null, m: 0, out, ...this.inputs(data) });
    return new Float64Array(out).slice();
  }

  async subsets(data: KsgData, k: number, subsets: readonly Int32Array[]): Promise<Float64Array> {
    const n = data.x.rows;
    if (!this.useWorkers(n) || subsets.length === 0) return inThreadKsg.subsets(data, k, subsets);
    const m = subsets[0].length;
    const all = new Int32Array(subsets.length * m);
    subsets.forEach((s, r) => {
      if (s.length !== m) throw new RangeError(`ksg: subsets must have equal sizes, got ${m} and ${s.length}`);
      all.set(s, r * m);
    });
    const out = new SharedArrayBuffer(subsets.length * 8);
    await this.run({ kind: 'subsets', n, k, tasks: subsets.length, chunk: 0, subsets: shared(all), m, out, ...this.inputs(data) });
    return new Float64Array(out).slice();
  }

  private inputs(data: KsgData): Pick<KsgJob, 'x' | 'dx' | 'y' | 'dy'> {
    return { x: shared(data.x.data), dx: data.x.cols, y: shared(data.y.data), dy: data.y.cols };
  }

  private run(job: Omit<KsgJob, 'id' | 'counter'>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('ksg pool: used after close()'));
    if (this.failed) return Promise.reject(this.failed);
    if (this.workers.length === 0) this.spawn();
    const counter = new SharedArrayBuffer(8);
    const full: KsgJob = { ...job, id: this.nextId++, counter };
    return new Promise<void>((resolve, reject) => {
      this.pending.set(full.id, {
        remaining: this.workers.length,
        resolve: () => {
          // Every worker bumped the finished count after writing its results (an atomic
          // store/load pair orders those writes before our reads).
          const done = Atomics.load(new Int32Array(counter), 1);
          if (done !== this.workers.length) reject(new Error(`ksg pool: ${done} of ${this.workers.length} workers finished job ${full.id}`));
          else resolve();
        },
        reject,
      });
      // Keep the process alive while work is outstanding; idle workers do not.
      for (const w of this.workers) {
        w.ref();
        w.postMessage(full);
      }
    });
  }

  private spawn(): void {
    for (let i = 0; i < this.size; i++) {
      const w = spawnSiblingWorker(import.meta.url, 'ksg-worker');
      w.unref();
      w.on('message', (msg: KsgReply) => this.onReply(msg));
      w.on('error', (e) => this.fail(new Error(`ksg pool: worker thread failed: ${e.message}`)));
      w.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`ksg pool: worker thread exited with code ${code} before its work was done`));
      });
      this.workers.push(w);
    }
  }

  private onReply(msg: KsgReply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.error) {
      this.pending.delete(msg.id);
      // Keep the kind of error the in-thread code would throw (a RangeError is bad input).
      const E = msg.error.name === 'RangeError' ? RangeError : Error;
      p.reject(new E(msg.error.message));
    } else if (--p.remaining === 0) {
      this.pending.delete(msg.id);
      p.resolve();
    }
    if (this.pending.size === 0) for (const w of this.workers) w.unref();
  }

  /** A worker died: reject everything outstanding and refuse further work. */
  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const w of this.workers) void w.terminate();
  }

  /** Terminate the workers; outstanding jobs reject. */
  async close(): Promise<void> {
    this.closed = true;
    const e = new Error('ksg pool: closed while a job was running');
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
