/**
 * Worker-thread entry for `workerCorrupter` (corrupter.ts): receives `{id, job}`, replies
 * `{id, bytes}` or `{id, error}`. Input errors (an undecodable image) keep their message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { runCorruptJob, type CorruptJob } from './corrupter.js';
import { FrostTextures, type FrostSpec } from './frost.js';

const frost = FrostTextures.fromSpec((workerData as { frost: FrostSpec }).frost);

parentPort!.on('message', async (m: { id: number; job: CorruptJob }) => {
  try {
    const bytes = await runCorruptJob(m.job, await frost);
    parentPort!.postMessage({ id: m.id, bytes }, [bytes.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: { message: (e as Error).message, input: e instanceof InputError } });
  }
});
