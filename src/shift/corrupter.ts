/**
 * Corrupting encoded images, in this thread or in a pool of worker threads (one JavaScript
 * thread per core: the corruptions are plain loops over pixels). A job is pure — its result
 * depends only on the image bytes, the corruption, the seed and the frost texture source — so
 * the output is the same whichever thread runs it.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ImageCorruption } from '../data/scenarios.js';
import { InputError, RunError } from '../errors.js';
import { FrostTextures, type FrostSpec } from './frost.js';
import { corruptImage } from './image.js';
import { decodeImage, imagePixels, toFloatImage } from '../io/image.js';
import { encodeImage, outputFormat } from './pixels.js';
import { Rng } from '../core/random.js';

export interface CorruptJob {
  readonly bytes: Uint8Array;
  readonly kind: ImageCorruption;
  readonly severity: number;
  readonly seed: number;
  /** SHA-256 of the bytes: keys the random stream. */
  readonly hash: string;
  /** JPEG/WebP quality of the output. */
  readonly quality: number;
  /** For error messages. */
  readonly where: string;
  /** Cap on decoded pixels (default: the decoder's). */
  readonly maxPixels?: number;
}

/** Decode, corrupt, encode in the source format (BMP: PNG; EXIF orientation kept). */
export async function runCorruptJob(job: CorruptJob, frost: FrostTextures): Promise<Uint8Array> {
  const decoded = await decodeImage(job.bytes, job.where, job.maxPixels !== undefined ? { maxPixels: job.maxPixels } : {});
  const rng = Rng.forKey(job.seed, 'image', job.kind, job.hash);
  const out = await corruptImage(toFloatImage(decoded.image), job.kind, job.severity, { rng, frost });
  return encodeImage(out, outputFormat(decoded.format), { quality: job.quality, ...(decoded.orientation ? { orientation: decoded.orientation } : {}) });
}

export interface Corrupter {
  corrupt(job: CorruptJob): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Runs jobs in this thread. */
export function inProcessCorrupter(frost: FrostTextures): Corrupter {
  return { corrupt: (job) => runCorruptJob(job, frost), close: async () => {} };
}

/** The default number of worker threads: the cores available, at most 4. */
export function defaultWorkerCount(): number {
  return Math.min(4, availableParallelism());
}

/**
 * Holds jobs back so the images being corrupted at once total at most `budget` pixels (an image
 * over it runs alone): with workers, peak memory stays near that of one image at the cap
 * (~33 bytes per pixel measured for contrast: floats, copies and the codec's buffers).
 */
export function pixelBudget(inner: Corrupter, budget: number, measure: (job: CorruptJob) => Promise<number> = (job) => imagePixels(job.bytes, job.where)): Corrupter {
  let inUse = 0;
  let waiting: (() => void)[] = [];
  return {
    async corrupt(job) {
      const px = await measure(job);
      while (inUse > 0 && inUse + px > budget) await new Promise<void>((r) => waiting.push(r));
      inUse += px;
      try {
        return await inner.corrupt(job);
      } finally {
        inUse -= px;
        const wake = waiting;
        waiting = [];
        for (const r of wake) r();
      }
    },
    close: () => inner.close(),
  };
}

interface Pending {
  readonly resolve: (b: Uint8Array) => void;
  readonly reject: (e: Error) => void;
}

/** A pool of `size` worker threads, each with its own copy of the frost textures. */
export function workerCorrupter(size: number, frost: FrostSpec): Corrupter {
  // The worker module next to this one: .js when built; from source (.ts, run through tsx) the
  // worker first registers tsx's loader, which worker threads do not inherit.
  const ext = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./corrupt-worker${ext}`, import.meta.url);
  const start = (): Worker =>
    ext === '.ts'
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => t.register()).then(() => import(${JSON.stringify(url.href)}));`, {
          eval: true,
          workerData: { frost },
        })
      : new Worker(url, { workerData: { frost } });
  const workers: { w: Worker; busy: number }[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failed: Error | undefined;
  let closing = false;
  for (let i = 0; i < size; i++) {
    const w = start();
    w.on('message', (m: { id: number; bytes?: Uint8Array; error?: { message: string; input: boolean } }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      entry.busy--;
      if (m.bytes) p.resolve(m.bytes);
      else p.reject(m.error?.input ? new InputError(m.error.message) : new RunError(`image worker: ${m.error?.message ?? 'unknown failure'}`));
    });
    const fail = (e: Error): void => {
      failed = e;
      for (const p of pending.values()) p.reject(new RunError(`image worker failed: ${e.message}`));
      pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      if (!closing) fail(new Error(`worker thread exited (code ${code})`));
    });
    const entry = { w, busy: 0 };
    workers.push(entry);
  }
  return {
    corrupt(job) {
      if (failed) return Promise.reject(new RunError(`image worker failed: ${failed.message}`));
      const entry = workers.reduce((a, b) => (b.busy < a.busy ? b : a));
      const id = nextId++;
      entry.busy++;
      return new Promise<Uint8Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        entry.w.postMessage({ id, job });
      });
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((e) => e.w.terminate()));
    },
  };
}
