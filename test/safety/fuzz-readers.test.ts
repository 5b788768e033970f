/**
 * Fuzz-style test of every reader (issue 13): each gets seeded random corruptions of a valid file
 * it built itself — truncation, byte flips, insertions, deletions, a duplicated chunk — and must
 * either return a result with finite numbers or throw one of the project's user-error classes
 * (exit 2) with a one-line message. Never a raw TypeError/RangeError/SyntaxError.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/core/random.js';
import { MllmshiftError } from '../../src/errors.js';
import { readAnswerFile } from '../../src/data/responses.js';
import { readAnswerLog } from '../../src/llm/answers.js';
import { readReviewFile } from '../../src/llm/summary.js';
import { readDatasetDir } from '../../src/data/dataset-dir.js';
import { loadParquet } from '../../src/data/parquet.js';
import { encodeSafetensors, readSafetensors } from '../../src/io/safetensors.js';
import { readEmbeddingSet, writeEmbeddingSet } from '../../src/io/embedding-set.js';
import { encodeNpy, readNpy, readNpz } from '../../src/io/npy.js';
import { readTorchStateDict } from '../../src/io/torch-checkpoint.js';
import { loadRunConfig } from '../../src/pipeline/config.js';
import { decodeImage } from '../../src/io/image.js';
import { jpeg, writeHfParquet } from '../helpers/parquet.js';
import { torchCheckpoint } from '../helpers/torch-pickle.js';
import { makeZip } from '../helpers/zip.js';

/** Mutations per reader: enough to hit every structural field of these small files, ~seconds each. */
const ITERATIONS = 150;
const SEED = 13;

const dir = mkdtempSync(join(tmpdir(), 'mllmshift-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Mutation {
  readonly bytes: Buffer;
  readonly what: string;
}

function mutate(valid: Buffer, rng: Rng): Mutation {
  const n = valid.length;
  const at = rng.int(n);
  switch (rng.int(5)) {
    case 0:
      return { bytes: valid.subarray(0, at), what: `truncate at ${at}` };
    case 1: {
      const b = Buffer.from(valid);
      const flips: string[] = [];
      for (let k = 1 + rng.int(4); k > 0; k--) {
        const i = rng.int(n);
        b[i] = rng.int(256);
        flips.push(`${i}=${b[i]}`);
      }
      return { bytes: b, what: `set bytes ${flips.join(',')}` };
    }
    case 2: {
      const ins = Buffer.from(Array.from({ length: 1 + rng.int(8) }, () => rng.int(256)));
      return { bytes: Buffer.concat([valid.subarray(0, at), ins, valid.subarray(at)]), what: `insert ${ins.toString('hex')} at ${at}` };
    }
    case 3: {
      const len = 1 + rng.int(Math.min(16, n - at));
      return { bytes: Buffer.concat([valid.subarray(0, at), valid.subarray(at + len)]), what: `delete ${len} at ${at}` };
    }
    default: {
      const len = 1 + rng.int(Math.min(64, n - at));
      const chunk = valid.subarray(at, at + len);
      return { bytes: Buffer.concat([valid.subarray(0, at + len), chunk, valid.subarray(at + len)]), what: `duplicate ${len} at ${at}` };
    }
  }
}

/** The first non-finite number reachable in a result (plain numbers, typed arrays, maps), or undefined. */
function nonFinite(value: unknown, path = '$', seen = new Set<unknown>()): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} = ${value}`;
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    if (value instanceof Float32Array || value instanceof Float64Array) {
      const i = value.findIndex((x) => !Number.isFinite(x));
      return i < 0 ? undefined : `${path}[${i}] = ${value[i]}`;
    }
    return undefined;
  }
  const entries: [string, unknown][] = value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v]) : Object.entries(value);
  for (const [k, v] of entries) {
    const bad = nonFinite(v, `${path}.${k}`, seen);
    if (bad) return bad;
  }
  return undefined;
}

interface Reader {
  readonly name: string;
  /** The valid file. */
  readonly valid: Buffer;
  /** Where the mutated bytes are written (omit for readers of bytes). */
  readonly file?: string;
  readonly read: (bytes: Buffer) => unknown;
  /** Readers whose results hold raw floats by design (a tensor file may hold NaN). */
  readonly floatsMayBeNonFinite?: boolean;
}

async function fuzz(r: Reader): Promise<void> {
  // The valid file itself must read.
  if (r.file) writeFileSync(r.file, r.valid);
  const base = await r.read(r.valid);
  assert.equal(nonFinite(base), undefined, `${r.name}: the valid file gives a non-finite number`);
  const rng = Rng.forKey(SEED, r.name);
  let accepted = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const m = mutate(r.valid, rng);
    const where = `${r.name} (seed ${SEED}, iteration ${i}, ${m.what})`;
    if (r.file) writeFileSync(r.file, m.bytes);
    let result: unknown;
    try {
      result = await r.read(m.bytes);
    } catch (e) {
      const err = e as Error;
      if (!(err instanceof MllmshiftError) || err.exitCode !== 2) {
        assert.fail(`${where}: threw ${err?.name ?? typeof e} (not a user error): ${err?.message ?? String(e)}\n${err?.stack ?? ''}`);
      }
      assert.ok(err.message.length > 0 && !err.message.includes('\n'), `${where}: message is not one line: ${JSON.stringify(err.message)}`);
      continue;
    }
    accepted++;
    if (!r.floatsMayBeNonFinite) {
      const bad = nonFinite(result);
      assert.equal(bad, undefined, `${where}: accepted with a non-finite number ${bad}`);
    }
  }
  // Say how many corruptions were accepted as valid (informative, not asserted: text formats tolerate many).
  process.stdout.write(`# ${r.name}: ${accepted}/${ITERATIONS} corruptions read as valid\n`);
}

const jsonl = (rows: unknown[]): Buffer => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

test('fuzz: JSONL answer files (data/responses readAnswerFile, llm/answers readAnswerLog)', async () => {
  const file = join(dir, 'answers.jsonl');
  const valid = jsonl(
    [0, 1, 2, 3].map((i) => ({ question_id: i, prompt: `What is in picture ${i}?`, text: `A cat number ${i}.`, answer_id: `a${i}`, model_id: 'm', metadata: {} })),
  );
  await fuzz({ name: 'readAnswerFile', valid, file, read: () => readAnswerFile(file) });
  await fuzz({ name: 'readAnswerLog', valid, file, read: () => readAnswerLog(file) });
});

test('fuzz: review files (llm/summary readReviewFile)', async () => {
  const file = join(dir, 'reviews.jsonl');
  const valid = jsonl([0, 1, 2, 3].map((i) => ({ question_id: i, category: 'conv', protocol: 'llava', tuple: [8, 6 + (i % 3)], content: '8 7\nok' })));
  await fuzz({ name: 'readReviewFile', valid, file, read: () => readReviewFile(file) });
});

test('fuzz: dataset samples.jsonl (data/dataset-dir readDatasetDir)', async () => {
  const ds = join(dir, 'dataset');
  mkdirSync(join(ds, 'images'), { recursive: true });
  writeFileSync(join(ds, 'images', 'a.jpg'), await jpeg(4, 4, 1));
  const file = join(ds, 'samples.jsonl');
  const valid = jsonl([0, 1, 2].map((i) => ({ id: String(i), image: 'images/a.jpg', question: `Q${i}?`, reference_answer: `R${i}.`, category: 'conv' })));
  await fuzz({ name: 'readDatasetDir', valid, file, read: () => readDatasetDir(ds) });
});

test('fuzz: parquet (data/parquet loadParquet)', async () => {
  const built = join(dir, 'built.parquet');
  const img = await jpeg(4, 4, 2);
  await writeHfParquet(built, [0, 1, 2].map((i) => ({ bytes: img, path: `${i}.jpg`, question: `Q${i}?`, ref: `R${i}.` })), 'category');
  // The writer's stream may still be flushing when its promise resolves: wait for the footer magic.
  let valid = readFileSync(built);
  for (let k = 0; k < 200 && !valid.subarray(-4).equals(Buffer.from('PAR1')); k++) {
    await new Promise((r) => setTimeout(r, 10));
    valid = readFileSync(built);
  }
  const file = join(dir, 'test.parquet');
  await fuzz({ name: 'loadParquet', valid, file, read: () => loadParquet(file) });
});

test('fuzz: safetensors and embedding sets (io/safetensors, io/embedding-set)', async () => {
  const file = join(dir, 'x.safetensors');
  const data = Float32Array.from({ length: 12 }, (_, i) => i / 7);
  const valid = encodeSafetensors({ a: { shape: [3, 4], data }, b: { shape: [2, 2], data: data.subarray(0, 4) } }, { note: 'fuzz' });
  // Tensor data are floats as stored: a flipped byte can be a NaN the reader passes on (checked downstream).
  await fuzz({ name: 'readSafetensors', valid, file, read: () => readSafetensors(file), floatsMayBeNonFinite: true });
  const m = (seed: number) => ({ rows: 3, cols: 2, data: Float32Array.from({ length: 6 }, (_, i) => Math.sin(i + seed)) });
  const setFile = join(dir, 'scenario.safetensors');
  writeEmbeddingSet(setFile, { xv: m(0), xt: m(1), yHat: m(2), y: m(3), scenario: 'scenario', sampleIds: ['0', '1', '2'], encoders: { image: 'e' } });
  await fuzz({ name: 'readEmbeddingSet', valid: readFileSync(setFile), file: setFile, read: () => readEmbeddingSet(setFile) });
});

test('fuzz: npy and npz (io/npy)', async () => {
  const file = join(dir, 'x.npy');
  const mat = { rows: 3, cols: 4, data: Float64Array.from({ length: 12 }, (_, i) => i / 3) };
  const valid = encodeNpy(mat);
  await fuzz({ name: 'readNpy', valid, file, read: () => readNpy(file) });
  const zfile = join(dir, 'x.npz');
  const zvalid = makeZip({ 'a.npy': encodeNpy(mat), 'b.npy': encodeNpy({ rows: 1, cols: 2, data: Float32Array.of(1, 2) }) });
  await fuzz({ name: 'readNpz', valid: zvalid, file: zfile, read: () => readNpz(zfile) });
});

test('fuzz: torch checkpoint (io/torch-checkpoint readTorchStateDict)', async () => {
  const file = join(dir, 'model.pt');
  const valid = torchCheckpoint({
    'net.0.weight': { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
    'net.0.bias': { shape: [2], data: Float32Array.of(0.5, -0.5) },
  });
  // Weights are floats as stored (a flipped byte may be NaN); the estimator loader checks them.
  await fuzz({ name: 'readTorchStateDict', valid, file, read: () => readTorchStateDict(file), floatsMayBeNonFinite: true });
});

test('fuzz: YAML run config (pipeline/config loadRunConfig)', async () => {
  const file = join(dir, 'run.yaml');
  const valid = Buffer.from(
    [
      'name: fuzz-study',
      'out: runs/fuzz',
      'data:',
      '  id: data/llava-bench-coco',
      '  id_name: llava_bench_coco',
      '  scenarios:',
      '    grid: synthetic',
      '  seed: 0',
      'model:',
      '  name: llava-v1.5-13b',
      '  base_url: http://127.0.0.1:8000/v1',
      '  concurrency: 8',
      '  max_tokens: 1024',
      '  temperature: 0',
      'references:',
      '  source: dataset',
      'estimator:',
      '  checkpoint: CLUB_global.pt',
      '',
    ].join('\n'),
  );
  await fuzz({ name: 'loadRunConfig', valid, file, read: () => loadRunConfig(file) });
});

test('fuzz: images (io/image decodeImage, PNG and JPEG)', async () => {
  const px = Buffer.alloc(6 * 5 * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 53) % 256;
  const png = await sharp(px, { raw: { width: 6, height: 5, channels: 3 } }).png().toBuffer();
  await fuzz({ name: 'decodeImage(png)', valid: png, read: (b) => decodeImage(new Uint8Array(b), 'fuzz.png') });
  const jpg = Buffer.from(await jpeg(6, 5, 3));
  await fuzz({ name: 'decodeImage(jpeg)', valid: jpg, read: (b) => decodeImage(new Uint8Array(b), 'fuzz.jpg') });
});
