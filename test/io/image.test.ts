/**
 * The one image decoder against PIL's `Image.open(p).convert("RGB")`: the images and PIL's bytes
 * were made by test/fixtures-gen/pil-images.py (Pillow, at test-generation time) and are
 * committed. Equality is exact: E4's paper recipe sees the same bytes the authors' did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeImage, imageExtension, sniffImageFormat, IMAGE_FORMATS } from '../../src/io/image.js';
import { InputError } from '../../src/errors.js';

const DIR = fileURLToPath(new URL('../fixtures/images/', import.meta.url));
interface Expected { pil_mode: string; width: number; height: number; sha256: string; pixels: [number, number, number[]][]; rgb_base64: string }
const expected = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8')) as { images: Record<string, Expected> };

for (const [name, e] of Object.entries(expected.images)) {
  test(`${name} (PIL mode ${e.pil_mode}) decodes to PIL's convert("RGB") bytes`, async () => {
    const { image } = await decodeImage(new Uint8Array(readFileSync(DIR + name)), name);
    assert.deepEqual([image.width, image.height], [e.width, e.height]);
    for (const [x, y, rgb] of e.pixels) {
      const o = 3 * (y * e.width + x);
      assert.deepEqual(Array.from(image.data.subarray(o, o + 3)), rgb, `pixel (${x}, ${y}): ours vs PIL's`);
    }
    const want = Buffer.from(e.rgb_base64, 'base64');
    const first = image.data.findIndex((v, i) => v !== want[i]);
    assert.equal(first, -1, `first differing byte ${first} (pixel ${Math.floor(first / 3)}): ours ${image.data[first]}, PIL ${want[first]}`);
    assert.equal(createHash('sha256').update(image.data).digest('hex'), e.sha256);
  });
}

test('every fixture format is one of IMAGE_FORMATS, and all six are covered', () => {
  const seen = new Set(readdirSync(DIR).filter((n) => n !== 'expected.json').map((n) => sniffImageFormat(readFileSync(DIR + n))));
  assert.deepEqual([...seen].sort(), [...IMAGE_FORMATS].sort());
  assert.equal(imageExtension(readFileSync(`${DIR}rgb.tif`)), '.tif');
});

test('a truncated JPEG, an empty buffer and unknown bytes are one-line InputErrors naming the image', async () => {
  const jpg = readFileSync(`${DIR}q444.jpg`);
  for (const bytes of [jpg.subarray(0, jpg.length >> 1), new Uint8Array(0), Buffer.from('not an image at all')]) {
    await assert.rejects(decodeImage(new Uint8Array(bytes), 'x/y.jpg'), (e: Error) => {
      assert.ok(e instanceof InputError, e.message);
      assert.match(e.message, /^x\/y\.jpg: /);
      assert.ok(!e.message.includes('\n'), e.message);
      return true;
    });
  }
});

test('truncated BMPs (plain and RLE) are refused with one line', async () => {
  for (const name of ['rgb24.bmp', 'rle8.bmp', 'rle4.bmp']) {
    const b = readFileSync(DIR + name);
    await assert.rejects(decodeImage(new Uint8Array(b.subarray(0, b.length - 40)), name), (e: Error) => e instanceof InputError && /: cannot decode image \(BMP: .*truncated/.test(e.message) && !e.message.includes('\n'));
  }
});

test('the pixel cap refuses from the header', async () => {
  await assert.rejects(decodeImage(readFileSync(`${DIR}rgb.png`), 'a.png', { maxPixels: 23 * 17 - 1 }), /a\.png: image is 23×17 = 391 pixels, over the limit of 390/);
  await assert.rejects(decodeImage(readFileSync(`${DIR}rgb24.bmp`), 'a.bmp', { maxPixels: 100 }), /over the limit of 100/);
  assert.equal((await decodeImage(readFileSync(`${DIR}rgb.png`), 'a.png', { maxPixels: 391 })).image.width, 23);
});
