/**
 * Worker thread of the entropy pool: receives a symmetric matrix (transferred buffer) and
 * returns its von Neumann entropy (E9) on the fastest eigen solver (accel/eigen-wasm.ts).
 */
import { parentPort } from 'node:worker_threads';
import { fastMatrixEntropy } from './eigen-wasm.js';

interface Job {
  readonly id: number;
  readonly buffer: ArrayBuffer;
  readonly n: number;
}

parentPort?.on('message', (job: Job) => {
  try {
    const value = fastMatrixEntropy(new Float64Array(job.buffer), job.n);
    parentPort?.postMessage({ id: job.id, value });
  } catch (e) {
    parentPort?.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
});
