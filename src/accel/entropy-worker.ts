/**
 * Worker thread of the entropy pool: receives a symmetric matrix (transferred buffer) and
 * returns its von Neumann entropy (E9). Runs core code only.
 */
import { parentPort } from 'node:worker_threads';
import { matrixEntropy } from '../core/jsd.js';

interface Job {
  readonly id: number;
  readonly buffer: ArrayBuffer;
  readonly n: number;
}

parentPort?.on('message', (job: Job) => {
  try {
    const value = matrixEntropy(new Float64Array(job.buffer), job.n);
    parentPort?.postMessage({ id: job.id, value });
  } catch (e) {
    parentPort?.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
});
