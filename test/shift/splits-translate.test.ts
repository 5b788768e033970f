import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { InputError } from '../../src/errors.js';
import { readQueryEmbeddings, splitByDistance } from '../../src/shift/splits.js';
import { CachedTranslator, cleanTranslation, translatedQuestion, type Translator } from '../../src/shift/translate.js';

/** Rows (cos θ, sin θ, 0) at the given angles (radians). */
function rows(angles: number[], d = 3): { rows: number; cols: number; data: Float64Array } {
  const data = new Float64Array(angles.length * d);
  angles.forEach((a, i) => {
    data[i * d] = Math.cos(a);
    data[i * d + 1] = Math.sin(a);
  });
  return { rows: angles.length, cols: d, data };
}

test('splitByDistance: nearest half to the ID set is easy (centroid and nearest-neighbour references)', () => {
  const id = rows([-0.1, 0, 0.1]);
  const ood = rows([1.2, 0.05, 0.8, 0.3, 1.5, 0.2]);
  const s = splitByDistance(ood, id);
  assert.deepEqual(s.order, [1, 5, 3, 2, 0, 4]);
  assert.deepEqual(s.easy, [1, 5, 3]);
  assert.deepEqual(s.hard, [2, 0, 4]);
  assert.ok(Math.abs(s.distances[3] - (1 - Math.cos(0.3))) < 1e-12, 'the ID centroid points along angle 0');
  const nn = splitByDistance(ood, rows([0, 1.5]), 'nearest');
  assert.deepEqual(nn.easy, [4, 1, 5], 'distances to the nearest of angles 0 and 1.5: 0, 0.05, 0.2 (then 0.3, 0.3, 0.7)');
  // invariant to the length of rows; odd n gives the extra row to hard
  const scaled = { ...ood, data: ood.data.map((v, k) => v * (1 + Math.floor(k / 3))) };
  assert.deepEqual(splitByDistance(scaled, id).order, s.order);
  assert.equal(splitByDistance(rows([0.1, 0.2, 0.3]), id).hard.length, 2);
  assert.throws(() => splitByDistance(ood, rows([0], 4)), InputError);
});

test('readQueryEmbeddings: x = (z_v + z_t)/2 and sample ids from an embedding set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-split-'));
  try {
    const f = join(dir, 'wild.safetensors');
    writeSafetensors(f, { x_v: { shape: [2, 2], data: new Float32Array([1, 0, 0, 1]) }, x_t: { shape: [2, 2], data: new Float32Array([0, 1, 0, 1]) } }, { sample_ids: '["a","b"]' });
    const q = readQueryEmbeddings(f);
    assert.deepEqual([...q.x.data], [0.5, 0.5, 0, 1]);
    assert.deepEqual(q.sampleIds, ['a', 'b']);
    writeSafetensors(f, { x_v: { shape: [2, 2], data: new Float32Array(4) } });
    assert.throws(() => readQueryEmbeddings(f), (e: Error) => e instanceof InputError && /missing tensor "x_t"/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('translations: suffix, cleaning, and the cache file', async () => {
  assert.equal(translatedQuestion('Wie heißt das?', 'German'), 'Wie heißt das? Please answer in English.');
  assert.equal(translatedQuestion('What is it?', 'English'), 'What is it?');
  assert.equal(cleanTranslation('  "Wie heißt das?"\n'), 'Wie heißt das?');
  assert.equal(cleanTranslation('```\n这是什么？\n```'), '这是什么？');
  assert.equal(cleanTranslation('«Qu’est-ce que c’est ?»'), 'Qu’est-ce que c’est ?');
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-tr-'));
  try {
    const file = join(dir, 't.json');
    let calls = 0;
    const inner: Translator = {
      description: { method: 'test' },
      translate: async (t, l) => {
        calls++;
        return `${l}:${t}`;
      },
    };
    const c1 = new CachedTranslator(inner, file);
    assert.equal(await c1.translate('b', 'German'), 'German:b');
    assert.equal(await c1.translate('a', 'German'), 'German:a');
    assert.equal(await c1.translate('a', 'German'), 'German:a');
    assert.equal(calls, 2);
    c1.save();
    assert.equal(readFileSync(file, 'utf8'), '{\n  "German": {\n    "a": "German:a",\n    "b": "German:b"\n  }\n}\n');
    const c2 = new CachedTranslator(undefined, file);
    assert.equal(await c2.translate('b', 'German'), 'German:b');
    await assert.rejects(c2.translate('c', 'German'), (e: Error) => e instanceof InputError && /no endpoint given/.test(e.message));
    writeFileSync(file, '{"German": {"a": 3}}');
    assert.throws(() => new CachedTranslator(undefined, file), /entry "German" must map texts to strings/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
