import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bicubicKernel, CLIP_MEAN, CLIP_STD, clipPreprocess, resampleCoeffs, resizeBicubicCrop, shortestSideSize } from '../../src/encode/clip-preprocess.js';
import { rgb8Image } from '../../src/io/image.js';
import { rng } from './fixtures.js';

function randomImage(w: number, h: number, seed: number) {
  const r = rng(seed);
  return rgb8Image(w, h, Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256)));
}

/**
 * Pillow's bicubic resize written the slow, obvious way (float weights per output pixel from
 * the kernel definition, normalised; horizontal pass rounded to 8 bits, then vertical), for
 * comparison with the fixed-point implementation: they may differ by 1 level from rounding.
 */
function naiveResize(img: { width: number; height: number; data: Uint8Array }, outW: number, outH: number): Uint8Array {
  const taps = (inSize: number, outSize: number, o: number) => {
    const scale = inSize / outSize;
    const fs = Math.max(scale, 1);
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - 2 * fs + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + 2 * fs + 0.5));
    const w: [number, number][] = [];
    for (let i = lo; i < hi; i++) w.push([i, bicubicKernel((i - center + 0.5) / fs)]);
    const s = w.reduce((a, [, x]) => a + x, 0);
    return w.map(([i, x]): [number, number] => [i, x / s]);
  };
  const clamp = (v: number) => Math.min(255, Math.max(0, Math.round(v)));
  const tmp = new Uint8Array(outW * img.height * 3);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < outW; x++) {
      const t = outW === img.width ? [[x, 1] as [number, number]] : taps(img.width, outW, x);
      for (let c = 0; c < 3; c++) tmp[(y * outW + x) * 3 + c] = clamp(t.reduce((a, [i, w]) => a + w * img.data[(y * img.width + i) * 3 + c], 0));
    }
  }
  const out = new Uint8Array(outW * outH * 3);
  for (let y = 0; y < outH; y++) {
    const t = outH === img.height ? [[y, 1] as [number, number]] : taps(img.height, outH, y);
    for (let x = 0; x < outW; x++) {
      for (let c = 0; c < 3; c++) out[(y * outW + x) * 3 + c] = clamp(t.reduce((a, [i, w]) => a + w * tmp[(i * outW + x) * 3 + c], 0));
    }
  }
  return out;
}

test('shortest side → 224 with the long side truncated, as transformers does', () => {
  assert.deepEqual(shortestSideSize(640, 480), { width: 298, height: 224 });
  assert.deepEqual(shortestSideSize(480, 640), { width: 224, height: 298 });
  assert.deepEqual(shortestSideSize(500, 375), { width: 298, height: 224 });
  assert.deepEqual(shortestSideSize(224, 224), { width: 224, height: 224 });
  assert.deepEqual(shortestSideSize(100, 300), { width: 224, height: 672 });
});

test('bicubic kernel (a = -0.5): 1 at 0, 0 at integers, negative lobe between 1 and 2', () => {
  assert.equal(bicubicKernel(0), 1);
  assert.equal(Math.abs(bicubicKernel(1)), 0);
  assert.equal(bicubicKernel(2), 0);
  assert.equal(bicubicKernel(0.5), 0.5625);
  assert.equal(bicubicKernel(-0.5), 0.5625);
  assert.equal(bicubicKernel(1.5), -0.0625);
});

test('fixed-point coefficients sum to 2^22 per output pixel (±taps) and widen when shrinking', () => {
  for (const [i, o] of [[640, 298], [100, 224], [480, 224]]) {
    const c = resampleCoeffs(i, o);
    for (let x = 0; x < o; x++) {
      let s = 0;
      for (let k = 0; k < c.count[x]; k++) s += c.weights[x * c.ksize + k];
      assert.ok(Math.abs(s - (1 << 22)) <= c.count[x], `sum ${s} at ${x}`);
    }
  }
  assert.equal(resampleCoeffs(640, 298).ksize, 2 * Math.ceil(2 * (640 / 298)) + 1);
  assert.equal(resampleCoeffs(100, 224).ksize, 5);
});

test('resize of a constant image stays constant', () => {
  const img = rgb8Image(37, 23, new Uint8Array(37 * 23 * 3).fill(200));
  const out = resizeBicubicCrop(img, 80, 50, 0, 0, 80, 50);
  assert.ok(out.every((v) => v === 200));
});

test('resize matches the slow reference within one level, shrinking and enlarging', () => {
  for (const [w, h, ow, oh, seed] of [[61, 45, 29, 21, 1], [13, 17, 40, 52, 2], [50, 40, 50, 17, 3], [40, 30, 19, 30, 4]]) {
    const img = randomImage(w, h, seed);
    const fast = resizeBicubicCrop(img, ow, oh, 0, 0, ow, oh);
    const slow = naiveResize(img, ow, oh);
    let worst = 0;
    for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i] - slow[i]));
    assert.ok(worst <= 1, `${w}x${h}→${ow}x${oh}: max diff ${worst}`);
  }
});

test('computing only the crop window equals cropping the full resize', () => {
  const img = randomImage(90, 60, 9);
  const full = resizeBicubicCrop(img, 70, 47, 0, 0, 70, 47);
  const crop = resizeBicubicCrop(img, 70, 47, 11, 5, 40, 30);
  for (let y = 0; y < 30; y++) {
    for (let x = 0; x < 40; x++) {
      for (let c = 0; c < 3; c++) assert.equal(crop[(y * 40 + x) * 3 + c], full[((y + 5) * 70 + x + 11) * 3 + c]);
    }
  }
});

test('224×224 input: no resampling, CHW, float32 (v/255 − mean)/std', () => {
  const img = randomImage(224, 224, 5);
  const px = clipPreprocess([img]);
  assert.equal(px.length, 3 * 224 * 224);
  for (const [y, x] of [[0, 0], [10, 200], [223, 223], [111, 57]]) {
    for (let c = 0; c < 3; c++) {
      const v = img.data[(y * 224 + x) * 3 + c];
      const want = (v / 255 - CLIP_MEAN[c]) / CLIP_STD[c];
      assert.ok(Math.abs(px[c * 224 * 224 + y * 224 + x] - want) < 1e-6);
    }
  }
});

test('non-square input: resized, then centre-cropped with top = (h − 224) // 2', () => {
  // A 300×224 image needs no vertical resampling; its width becomes 300 → 300 (no-op), crop left = 38.
  const img = randomImage(300, 224, 6);
  const px = clipPreprocess([img]);
  const x = 0;
  const y = 7;
  const v = img.data[(y * 300 + x + 38) * 3];
  assert.ok(Math.abs(px[y * 224 + x] - (v / 255 - CLIP_MEAN[0]) / CLIP_STD[0]) < 1e-6);
});
