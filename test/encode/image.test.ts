import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage, rgbImage } from '../../src/encode/image.js';
import { InputError } from '../../src/errors.js';

test('PNG RGB decodes to exact bytes', async () => {
  const raw = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) & 255);
  const png = await sharp(raw, { raw: { width: 5, height: 4, channels: 3 } }).png().toBuffer();
  const img = await decodeImage(png, 'x.png');
  assert.equal(img.width, 5);
  assert.equal(img.height, 4);
  assert.deepEqual([...img.data], [...raw]);
});

test('alpha is dropped, not composited (as PIL convert("RGB")); greyscale becomes three equal channels', async () => {
  const rgba = await sharp(Uint8Array.from([200, 10, 10, 0, 5, 6, 7, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
  assert.deepEqual([...(await decodeImage(rgba, 'a.png')).data], [200, 10, 10, 5, 6, 7]);
  const grey = await sharp(Uint8Array.from([0, 128, 255]), { raw: { width: 3, height: 1, channels: 1 } }).png().toBuffer();
  assert.deepEqual([...(await decodeImage(grey, 'g.png')).data], [0, 0, 0, 128, 128, 128, 255, 255, 255]);
});

test('16-bit PNGs come out as 8-bit RGB', async () => {
  const png16 = await sharp(Uint8Array.from([255, 0, 0, 0, 255, 0]), { raw: { width: 2, height: 1, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
  const img = await decodeImage(png16, 'deep.png');
  assert.equal(img.data.length, 6);
  assert.deepEqual([...img.data], [255, 0, 0, 0, 255, 0]);
});

test('empty, corrupt and truncated images are InputErrors naming the image', async () => {
  await assert.rejects(decodeImage(new Uint8Array(0), 'sample 3: a.jpg'), (e: unknown) => e instanceof InputError && /sample 3: a\.jpg: image is empty/.test(e.message));
  await assert.rejects(decodeImage(new TextEncoder().encode('<html>'), 'b.jpg'), (e: unknown) => e instanceof InputError && /^b\.jpg: cannot decode image/.test(e.message));
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 1, g: 2, b: 3 } } }).jpeg().toBuffer();
  await assert.rejects(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'cut.jpg'), /cut\.jpg: cannot decode image/);
});

test('rgbImage checks its size', () => {
  assert.throws(() => rgbImage(2, 2, new Uint8Array(11)), RangeError);
  assert.throws(() => rgbImage(0, 2, new Uint8Array(0)), RangeError);
});
