import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';

test('keyed streams: the same key repeats, another key or seed differs, and draws are uniform', () => {
  const a = Rng.forKey(7, 'text', 'sr_4', 'q1');
  const b = Rng.forKey(7, 'text', 'sr_4', 'q1');
  const seqA = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(Array.from({ length: 8 }, () => b.nextUint32()), seqA);
  const other = Rng.forKey(7, 'text', 'sr_4', 'q2');
  assert.notDeepEqual(Array.from({ length: 8 }, () => other.nextUint32()), seqA);
  const seed = Rng.forKey(8, 'text', 'sr_4', 'q1');
  assert.notDeepEqual(Array.from({ length: 8 }, () => seed.nextUint32()), seqA);
  // Mean of 20,000 uniforms: sd 1/√(12·20000) ≈ 0.002, so 0.01 is five sd.
  const r = Rng.forKey(1, 'uniformity');
  let sum = 0;
  for (let i = 0; i < 20_000; i++) sum += r.next();
  assert.ok(Math.abs(sum / 20_000 - 0.5) < 0.01, `mean ${sum / 20_000}`);
});

test('sample draws k distinct items, shuffle permutes, choice stays in the array', () => {
  const r = new Rng(3);
  const items = Array.from({ length: 20 }, (_, i) => i);
  const picked = r.sample(items, 5);
  assert.equal(new Set(picked).size, 5);
  assert.equal(r.sample(items, 50).length, 20);
  assert.deepEqual(r.shuffle(items.slice()).sort((x, y) => x - y), items);
  for (let i = 0; i < 50; i++) assert.ok(items.includes(r.choice(items)));
});
