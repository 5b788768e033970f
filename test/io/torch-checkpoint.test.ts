import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTorchStateDict } from '../../src/io/torch-checkpoint.js';
import { loadClubCheckpoint } from '../../src/io/estimator-checkpoint.js';
import { InputError } from '../../src/errors.js';
import { CLUB_GLOBAL, needsOfficial } from '../helpers/official.js';
import { hostilePickle, torchCheckpoint } from '../helpers/torch-pickle.js';
import { tempDir } from '../helpers/tmp.js';

// Checksums computed independently with numpy from the raw storages in the zip (float64 sums
// of the float32 values; exact to the last printed digit, so 1e-9 relative is generous).
const CHECKSUMS: Record<string, { shape: number[]; sum: number; absSum: number; first: number; last: number }> = {
  'p_mu.0.weight': { shape: [250, 768], sum: -0.4437691569891058, absSum: 7313.623023547381, first: 0.03087841160595417, last: 0.0003239065990783274 },
  'p_mu.0.bias': { shape: [250], sum: 0.2326133530586958, absSum: 4.5342697204323485, first: -0.004936875309795141, last: 0.0006443056627176702 },
  'p_mu.2.weight': { shape: [768, 250], sum: 0.061431370634522864, absSum: 9596.316112984636, first: 0.05770184099674225, last: -0.015071751549839973 },
  'p_mu.2.bias': { shape: [768], sum: -0.7044647221246123, absSum: 13.376922386503793, first: -0.01762671396136284, last: 0.00017653101531323045 },
  'p_logvar.0.weight': { shape: [250, 768], sum: 14.826729205197466, absSum: 9959.579460692044, first: -0.031529590487480164, last: 0.037141937762498856 },
  'p_logvar.0.bias': { shape: [250], sum: -0.3919246755540371, absSum: 17.12596347555518, first: -0.06112348660826683, last: 0.0622098445892334 },
  'p_logvar.2.weight': { shape: [768, 250], sum: 43.82588586001391, absSum: 10831.6229391446, first: 0.11061742901802063, last: -0.04283497482538223 },
  'p_logvar.2.bias': { shape: [768], sum: -27.357404449154274, absSum: 32.113359169408795, first: -0.02892441861331463, last: -0.07619809359312057 },
};

test('CLUB_global.pt: every tensor has the expected shape and checksums (device cuda:5 ignored)', needsOfficial('CLUB_global.pt'), () => {
  const sd = readTorchStateDict(CLUB_GLOBAL);
  assert.deepEqual([...sd.keys()].sort(), Object.keys(CHECKSUMS).sort());
  for (const [name, c] of Object.entries(CHECKSUMS)) {
    const t = sd.get(name)!;
    assert.deepEqual([...t.shape], c.shape, name);
    let s = 0;
    let a = 0;
    for (const v of t.data) { s += v; a += Math.abs(v); }
    assert.ok(Math.abs(s - c.sum) <= 1e-9 * c.absSum, `${name}: sum ${s} vs ${c.sum}`);
    assert.ok(Math.abs(a - c.absSum) <= 1e-9 * c.absSum, `${name}: |sum| ${a} vs ${c.absSum}`);
    assert.equal(t.data[0], c.first);
    assert.equal(t.data[t.data.length - 1], c.last);
  }
  const net = loadClubCheckpoint(CLUB_GLOBAL).network;
  assert.equal(net.muW1.cols, 768);
  assert.equal(net.muW1.rows, 250);
  assert.equal(net.boundedLogvar, true);
});

test('a generated checkpoint round-trips, including a transposed (non-contiguous) tensor', () => {
  const dir = tempDir();
  const base = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const path = join(dir, 'tiny.pt');
  // Storage [[1,2,3],[4,5,6]] viewed as its transpose: shape [3, 2], stride [1, 3].
  writeFileSync(path, torchCheckpoint({ w: { shape: [2, 3], data: base }, wt: { shape: [3, 2], data: base, stride: [1, 3] } }));
  const sd = readTorchStateDict(path);
  assert.deepEqual(Array.from(sd.get('w')!.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(sd.get('wt')!.data), [1, 4, 2, 5, 3, 6]);
});

test('a pickle asking for any other global is refused and nothing runs', () => {
  const dir = tempDir();
  const path = join(dir, 'evil.pt');
  writeFileSync(path, torchCheckpoint({ w: { shape: [1], data: Float32Array.from([1]) } }, hostilePickle()));
  assert.throws(() => readTorchStateDict(path), (e: unknown) => e instanceof InputError && /refusing global os\.system/.test(e.message) && e.message.includes(path));
});

test('files that are not checkpoints fail with InputError naming the file', () => {
  const dir = tempDir();
  const cases: Record<string, Buffer> = {
    'empty.pt': Buffer.alloc(0),
    'text.pt': Buffer.from('hello world, not a zip'),
    'truncated.pt': torchCheckpoint({ w: { shape: [4], data: Float32Array.from([1, 2, 3, 4]) } }).subarray(0, 60),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    assert.throws(() => readTorchStateDict(p), (e: unknown) => e instanceof InputError && e.message.startsWith(p), name);
  }
  assert.throws(() => readTorchStateDict(join(dir, 'missing.pt')), /file not found/);
  // A valid checkpoint without the CLUB tensors is not an estimator.
  const p = join(dir, 'other.pt');
  writeFileSync(p, torchCheckpoint({ w: { shape: [1], data: Float32Array.from([1]) } }));
  assert.throws(() => loadClubCheckpoint(p), /missing tensor "p_mu\.0\.weight"/);
});
