/**
 * Worker thread of the KSG pool: takes a job (shared prepared X and Y), claims tasks from its
 * shared counter until none are left, writes each result into the shared output, then
 * reports. Runs core code only (KsgTrees.terms, ksgSubset), so its numbers are the in-thread ones.
 */
import { parentPort } from 'node:worker_threads';
import { identityIndex, KsgTrees, ksgSubset, type KsgData } from '../core/estimators/ksg.js';
import type { KsgJob, KsgReply } from './ksg-pool.js';

function work(job: KsgJob): void {
  const data: KsgData = {
    x: { rows: job.n, cols: job.dx, data: new Float64Array(job.x) },
    y: { rows: job.n, cols: job.dy, data: new Float64Array(job.y) },
  };
  const counter = new Int32Array(job.counter);
  const out = new Float64Array(job.out);
  if (job.kind === 'terms') {
    let trees: KsgTrees | null = null;
    for (let c = Atomics.add(counter, 0, 1); c < job.tasks; c = Atomics.add(counter, 0, 1)) {
      // Built on the first claimed chunk: a worker that claims none builds nothing.
      trees ??= new KsgTrees(data, identityIndex(job.n));
      trees.terms(job.k, c * job.chunk, Math.min(job.n, (c + 1) * job.chunk), out);
    }
  } else {
    const all = new Int32Array(job.subsets as SharedArrayBuffer);
    for (let r = Atomics.add(counter, 0, 1); r < job.tasks; r = Atomics.add(counter, 0, 1)) {
      out[r] = ksgSubset(data, job.k, all.subarray(r * job.m, (r + 1) * job.m));
    }
  }
}

parentPort?.on('message', (job: KsgJob) => {
  let reply: KsgReply;
  try {
    work(job);
    // Published after the results: the pool reads this count before reading them.
    Atomics.add(new Int32Array(job.counter), 1, 1);
    reply = { id: job.id };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { id: job.id, error: { name: err.name, message: err.message } };
  }
  parentPort?.postMessage(reply);
});
