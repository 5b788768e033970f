/**
 * Von Neumann entropies (E9) of many symmetric matrices on a pool of worker threads: the
 * eigenvalue solves are the dominant cost of representation JSD, and independent, so two
 * cores halve the wall time. Results are identical to the in-thread computation (same code,
 * the WebAssembly solver of accel/eigen-wasm.ts when it loads), for any number of workers.
 * Besides single matrices the pool runs JSD jobs over sets registered once in every worker
 * (accel/jsd-jobs.ts: a bootstrap replicate sends row weights, not matrices).
 */
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { spawnSiblingWorker } from './spawn-worker.js';
import { fastMatrixEntropy } from './eigen-wasm.js';
import { setData, type JsdJob, type JsdRunner } from './jsd-jobs.js';
import type { RepresentationSet } from '../core/jsd.js';

/** Entropy of an n×n symmetric matrix; the function may take ownership of `matrix`. */
export type EntropyFn = (matrix: Float64Array, n: number) => Promise<number>;

export const inThreadEntropy: EntropyFn = async (m, n) => fastMatrixEntropy(m, n);

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Task {
  readonly message: { id: number } & Record<string, unknown>;
  readonly transfer: ArrayBuffer[];
}

export class EntropyPool implements JsdRunner {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Task[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private nextKey = 0;
  private failed: Error | null = null;

  constructor(size = Math.max(1, Math.min(4, availableParallelism()))) {
    for (let k = 0; k < size; k++) {
      const w = spawnSiblingWorker(import.meta.url, 'entropy-worker');
      w.unref();
      w.on('message', (msg: { id: number; value?: unknown; error?: string }) => {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (p) {
          if (msg.error !== undefined) p.reject(new Error(msg.error));
          else p.resolve(msg.value);
        }
        this.idle.push(w);
        this.pump();
      });
      w.on('error', (e) => {
        this.failed = e;
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private submit<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.queue.push({ message: { ...message, id }, transfer });
      this.pump();
    });
  }

  /** Entropy of the n×n matrix; its buffer is transferred to a worker (do not reuse it). */
  entropy: EntropyFn = (matrix, n) => {
    const buffer = matrix.byteOffset === 0 && matrix.byteLength === matrix.buffer.byteLength ? matrix.buffer : matrix.slice().buffer;
    return this.submit<number>({ kind: 'entropy', buffer, n }, [buffer as ArrayBuffer]);
  };

  /** Registers the set in every worker (rows and Gram in shared memory, not copied per worker). */
  addSet(s: RepresentationSet): number {
    const key = this.nextKey++;
    const data = setData(s, true);
    for (const w of this.workers) w.postMessage({ kind: 'set', key, data });
    return key;
  }

  addCross(cross: Float64Array): number {
    const key = this.nextKey++;
    const shared = new Float64Array(new SharedArrayBuffer(cross.byteLength));
    shared.set(cross);
    for (const w of this.workers) w.postMessage({ kind: 'cross', key, data: shared });
    return key;
  }

  /** The jobs' entropies in order, split into a few batches per worker. */
  async run(jobs: readonly JsdJob[]): Promise<Float64Array> {
    const chunk = Math.max(1, Math.ceil(jobs.length / (4 * this.workers.length)));
    const parts: Promise<Float64Array>[] = [];
    for (let i = 0; i < jobs.length; i += chunk) parts.push(this.submit<Float64Array>({ kind: 'jobs', jobs: jobs.slice(i, i + chunk) }));
    const out = new Float64Array(jobs.length);
    let o = 0;
    for (const p of await Promise.all(parts)) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop() as Worker;
      const task = this.queue.shift() as Task;
      w.postMessage(task.message, task.transfer);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
