import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltinImageEncoder, BuiltinTextEncoder, BUILTIN_DIM, textTokens } from '../../src/encode/builtin.js';
import { rgb8Image, type Rgb8Image } from '../../src/io/image.js';
import { cosine, rng } from './fixtures.js';

function pattern(w: number, h: number, f: (x: number, y: number) => [number, number, number], noise = 0, seed = 1): Rgb8Image {
  const r = rng(seed);
  const d = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = f(x / w, y / h);
      for (let k = 0; k < 3; k++) d[(y * w + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(c[k] + (r() - 0.5) * 2 * noise)));
    }
  }
  return rgb8Image(w, h, d);
}

const sky = (x: number, y: number): [number, number, number] => (y < 0.5 ? [90, 150, 240] : [60 + 40 * x, 140, 50]);
const stripes = (x: number): [number, number, number] => (Math.floor(x * 16) % 2 ? [240, 30, 30] : [20, 20, 20]);

test('text: deterministic across instances, 768-d, unit norm', async () => {
  const texts = ['A cat sits on the mat.', 'Ein Hund läuft im Park.', '猫がマットの上に座っている。', '???'];
  const a = await new BuiltinTextEncoder().embedTexts(texts);
  const b = await new BuiltinTextEncoder().embedTexts(texts);
  assert.equal(a.cols, BUILTIN_DIM);
  assert.deepEqual(a.data, b.data);
  for (let i = 0; i < texts.length; i++) assert.ok(Math.abs(Math.hypot(...a.data.subarray(i * 768, (i + 1) * 768)) - 1) < 1e-5);
});

test('text: similar sentences closer than unrelated ones; typos stay close', async () => {
  const [base, para, typo, other] = await Promise.all(
    ['The man is riding a red bicycle down the street.', 'A man rides a red bicycle along the street.', 'The mna is ridign a red bicycel down the street.', 'Quarterly revenue exceeded analyst expectations.'].map(
      async (t) => (await new BuiltinTextEncoder().embedTexts([t])).data,
    ),
  );
  assert.ok(cosine(base, para) > cosine(base, other) + 0.2, `${cosine(base, para)} vs ${cosine(base, other)}`);
  assert.ok(cosine(base, typo) > cosine(base, other) + 0.2);
  assert.ok(Math.abs(cosine(base, other)) < 0.25);
});

test('text tokens: NFKC, lower case, words and single symbols', () => {
  assert.deepEqual(textTokens('Ｈｅｌｌｏ, World!'), ['hello', ',', 'world', '!']);
  assert.deepEqual(textTokens('   '), []);
});

test('text: whitespace-only text still gives a unit vector (a fixed "empty" feature)', async () => {
  const e = await new BuiltinTextEncoder().embedTexts([' ']);
  assert.ok(Math.abs(Math.hypot(...e.data) - 1) < 1e-6);
});

test('image: deterministic, unit norm, any size (including tiny images)', async () => {
  const imgs = [pattern(64, 48, sky), pattern(300, 200, stripes), pattern(3, 2, sky)];
  const a = await new BuiltinImageEncoder().embedImages(imgs);
  const b = await new BuiltinImageEncoder().embedImages(imgs);
  assert.deepEqual(a.data, b.data);
  for (let i = 0; i < imgs.length; i++) assert.ok(Math.abs(Math.hypot(...a.data.subarray(i * 768, (i + 1) * 768)) - 1) < 1e-5);
});

test('image: a noisy or resized copy is closer than a different picture', async () => {
  const enc = new BuiltinImageEncoder();
  const [base, noisy, resized, other] = (
    await enc.embedImages([pattern(200, 150, sky), pattern(200, 150, sky, 25, 2), pattern(120, 90, sky), pattern(200, 150, stripes)])
  ).data.slice().reduce<Float32Array[]>((acc, _, i, arr) => (i % 768 === 0 ? [...acc, arr.subarray(i, i + 768)] : acc), []);
  assert.ok(cosine(base, noisy) > 0.9, `noisy ${cosine(base, noisy)}`);
  assert.ok(cosine(base, resized) > 0.95);
  assert.ok(cosine(base, other) < cosine(base, noisy) - 0.3, `other ${cosine(base, other)}`);
});
