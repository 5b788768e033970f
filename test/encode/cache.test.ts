import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddingCache, imageKey, textKey } from '../../src/encode/cache.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mllmshift-cache-'));
}

test('rows written under (modality, encoder id, version) come back by content key', () => {
  const dir = tmp();
  try {
    const cache = new EmbeddingCache(dir, () => {});
    const ns = cache.namespace('text', { id: 'enc', version: 'v1' }, 3);
    const keys = [textKey('a'), textKey('b')];
    ns.put(keys, { rows: 2, cols: 3, data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    // A fresh cache object (another run) sees them.
    const again = new EmbeddingCache(dir, () => {}).namespace('text', { id: 'enc', version: 'v1' }, 3);
    const got = again.get([keys[1], textKey('c'), keys[0]]);
    assert.deepEqual([...got[0]!], [4, 5, 6]);
    assert.equal(got[1], undefined);
    assert.deepEqual([...got[2]!], [1, 2, 3]);
    // Another version, encoder or modality is another namespace.
    assert.equal(new EmbeddingCache(dir).namespace('text', { id: 'enc', version: 'v2' }, 3).get([keys[0]])[0], undefined);
    assert.equal(new EmbeddingCache(dir).namespace('text', { id: 'other', version: 'v1' }, 3).get([keys[0]])[0], undefined);
    assert.equal(new EmbeddingCache(dir).namespace('image', { id: 'enc', version: 'v1' }, 3).get([keys[0]])[0], undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('content keys: SHA-256 of the text bytes / encoded image bytes', () => {
  assert.equal(textKey('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(imageKey(new Uint8Array([0x61, 0x62, 0x63])), textKey('abc'));
});

test('a damaged segment is skipped with a warning, not trusted and not fatal', () => {
  const dir = tmp();
  try {
    const warnings: string[] = [];
    const ns = new EmbeddingCache(dir, (m) => warnings.push(m)).namespace('image', { id: 'enc', version: 'v1' }, 2);
    ns.put(['k1'], { rows: 1, cols: 2, data: new Float32Array([0.6, 0.8]) });
    const segDir = ns.dir;
    writeFileSync(join(segDir, 'zz-broken.safetensors'), Buffer.from([1, 2, 3]));
    const fresh = new EmbeddingCache(dir, (m) => warnings.push(m)).namespace('image', { id: 'enc', version: 'v1' }, 2);
    assert.deepEqual([...fresh.get(['k1'])[0]!].map((v) => +v.toFixed(6)), [0.6, 0.8]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /zz-broken\.safetensors/);
    assert.equal(readdirSync(segDir).length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('put checks shapes; zero rows write nothing', () => {
  const dir = tmp();
  try {
    const ns = new EmbeddingCache(dir).namespace('text', { id: 'e', version: '1' }, 2);
    assert.throws(() => ns.put(['a'], { rows: 2, cols: 2, data: new Float32Array(4) }), RangeError);
    assert.throws(() => ns.put(['a'], { rows: 1, cols: 3, data: new Float32Array(3) }), RangeError);
    ns.put([], { rows: 0, cols: 2, data: new Float32Array(0) });
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
