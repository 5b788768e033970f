/**
 * Von Neumann entropies (E9) of many symmetric matrices on a pool of worker threads: the
 * eigenvalue solves are the dominant cost of representation JSD, and independent, so two
 * cores halve the wall time. Results are identical to the in-thread computation (same code,
 * the WebAssembly solver of accel/eigen-wasm.ts when it loads).
 */
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { spawnSiblingWorker } from './spawn-worker.js';
import { fastMatrixEntropy } from './eigen-wasm.js';

/** Entropy of an n×n symmetric matrix; the function may take ownership of `matrix`. */
export type EntropyFn = (matrix: Float64Array, n: number) => Promise<number>;

export const inThreadEntropy: EntropyFn = async (m, n) => fastMatrixEntropy(m, n);

interface Pending {
  resolve(v: number): void;
  reject(e: Error): void;
}

export class EntropyPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; matrix: Float64Array; n: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failed: Error | null = null;

  constructor(size = Math.max(1, Math.min(4, availableParallelism()))) {
    for (let k = 0; k < size; k++) {
      const w = spawnSiblingWorker(import.meta.url, 'entropy-worker');
      w.unref();
      w.on('message', (msg: { id: number; value?: number; error?: string }) => {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (p) {
          if (msg.error !== undefined) p.reject(new Error(msg.error));
          else p.resolve(msg.value as number);
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

  /** Entropy of the n×n matrix; its buffer is transferred to a worker (do not reuse it). */
  entropy: EntropyFn = (matrix, n) => {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<number>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, matrix, n });
      this.pump();
    });
  };

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop() as Worker;
      const job = this.queue.shift() as { id: number; matrix: Float64Array; n: number };
      const buffer = job.matrix.byteOffset === 0 && job.matrix.byteLength === job.matrix.buffer.byteLength
        ? job.matrix.buffer
        : job.matrix.slice().buffer;
      w.postMessage({ id: job.id, buffer, n: job.n }, [buffer as ArrayBuffer]);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
