/**
 * Worker thread of the entropy pool: von Neumann entropies (E9) on the fastest eigen solver
 * (accel/eigen-wasm.ts), of a transferred matrix or of JSD jobs over registered sets
 * (accel/jsd-jobs.ts).
 */
import { parentPort } from 'node:worker_threads';
import { fastMatrixEntropy } from './eigen-wasm.js';
import { JsdRegistry, type JsdJob, type SetData } from './jsd-jobs.js';

type Message =
  | { readonly kind: 'entropy'; readonly id: number; readonly buffer: ArrayBuffer; readonly n: number }
  | { readonly kind: 'set'; readonly key: number; readonly data: SetData }
  | { readonly kind: 'cross'; readonly key: number; readonly data: Float64Array }
  | { readonly kind: 'jobs'; readonly id: number; readonly jobs: readonly JsdJob[] };

const registry = new JsdRegistry();

parentPort?.on('message', (msg: Message) => {
  if (msg.kind === 'set') return registry.addSet(msg.key, msg.data);
  if (msg.kind === 'cross') return registry.addCross(msg.key, msg.data);
  try {
    const value = msg.kind === 'entropy'
      ? fastMatrixEntropy(new Float64Array(msg.buffer), msg.n)
      : Float64Array.from(msg.jobs, (j) => registry.run(j));
    parentPort?.postMessage({ id: msg.id, value });
  } catch (e) {
    parentPort?.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
