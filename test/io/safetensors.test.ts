import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, readSafetensors, readSafetensorsHeader, readSafetensorsRows, writeSafetensors } from '../../src/io/safetensors.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();

/** Hand-built file: independent of the writer under test. */
function handMade(header: object | string, body: Buffer): Buffer {
  const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, body]);
}

test('reads a hand-built file (F32 and F64) and round-trips through the writer with metadata', () => {
  const body = Buffer.alloc(8 + 16);
  body.writeFloatLE(1.5, 0);
  body.writeFloatLE(-2, 4);
  body.writeDoubleLE(Math.PI, 8);
  body.writeDoubleLE(-1e-300, 16);
  const p = join(dir, 'hand.safetensors');
  writeFileSync(p, handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F64', shape: [1, 2], data_offsets: [8, 24] }, __metadata__: { k: 'v' } }, body));
  const { header, tensors } = readSafetensors(p);
  assert.deepEqual(Array.from(tensors.get('a')!.data), [1.5, -2]);
  assert.deepEqual(Array.from(tensors.get('b')!.data), [Math.PI, -1e-300]);
  assert.equal(header.metadata.k, 'v');
  const q = join(dir, 'rt.safetensors');
  writeSafetensors(q, { m: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) } }, { scenario: 'x' });
  const back = readSafetensors(q);
  assert.deepEqual([...back.tensors.get('m')!.shape], [2, 3]);
  assert.deepEqual(Array.from(back.tensors.get('m')!.data), [1, 2, 3, 4, 5, 6]);
  assert.equal(back.header.metadata.scenario, 'x');
  assert.deepEqual(Array.from(readSafetensorsRows(q, back.header, 'm', 1, 1)), [4, 5, 6]);
  // The writer aligns the data buffer to 8 bytes.
  assert.equal(encodeSafetensors({ m: { shape: [1], data: Float32Array.from([1]) } }).readBigUInt64LE(0) % 8n, 0n);
});

test('F16 and BF16 are widened to float32 exactly', () => {
  const body = Buffer.alloc(8);
  body.writeUInt16LE(0x3c00, 0); // f16 1.0
  body.writeUInt16LE(0xc000, 2); // f16 −2.0
  body.writeUInt16LE(0x3f80, 4); // bf16 1.0
  body.writeUInt16LE(0x4049, 6); // bf16 3.140625
  const p = join(dir, 'half.safetensors');
  writeFileSync(p, handMade({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] } }, body));
  const { tensors } = readSafetensors(p);
  assert.deepEqual(Array.from(tensors.get('h')!.data), [1, -2]);
  assert.deepEqual(Array.from(tensors.get('b')!.data), [1, 3.140625]);
});

test('every malformed file is an InputError naming the file and the problem', () => {
  const good = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const lying = Buffer.alloc(16);
  lying.writeBigUInt64LE(1000n);
  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /file is empty/],
    ['short', Buffer.from([1, 2, 3]), /too short/],
    ['lying-length', lying, /header length field says 1000 bytes but only 8 follow/],
    ['not-json', handMade('{not json', Buffer.alloc(0)), /header is not valid JSON/],
    ['array-json', handMade('[1,2]', Buffer.alloc(0)), /not a JSON object/],
    ['bad-dtype', handMade({ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(4)), /unsupported dtype "Q7"/],
    ['bad-shape', handMade({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, Buffer.alloc(4)), /shape must be/],
    ['size-mismatch', handMade({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8)), /8 bytes of data for shape \[3\] F32, expected 12/],
    ['truncated', handMade(good, Buffer.alloc(4)), /buffer has 4 bytes \(truncated file\?\)/],
    ['bad-metadata', handMade({ __metadata__: { k: 1 } }, Buffer.alloc(0)), /__metadata__\.k is not a string/],
  ];
  for (const [name, bytes, re] of cases) {
    const p = join(dir, `${name}.safetensors`);
    writeFileSync(p, bytes);
    assert.throws(() => readSafetensorsHeader(p), (e: unknown) => e instanceof InputError && e.message.startsWith(p) && re.test(e.message), name);
  }
  assert.throws(() => readSafetensors(join(dir, 'nope.safetensors')), /file not found/);
  assert.throws(() => readSafetensors(dir), /is a directory/);
  const p = join(dir, 'good.safetensors');
  writeFileSync(p, handMade(good, Buffer.alloc(8)));
  assert.throws(() => readSafetensors(p, ['zzz']), /missing tensor "zzz" \(file has: a\)/);
});
