/**
 * Issue 13's image failures as CLI regression tests: image paths escaping the data set, devices
 * and FIFOs as images, a decompression bomb, a truncated JPEG (refused before any request),
 * libvips' multi-line messages, TIFF/BMP accepted everywhere, parquet `image.path` of "..".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { parquetWriteFile } from 'hyparquet-writer';
import { runCli, runCliAsync, type CliResult } from '../helpers/cli.js';
import { startFakeServer } from '../llm/fake-server.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = fileURLToPath(new URL('../fixtures/images/', import.meta.url));
const root = tempDir();
const DEAD = ['--base-url', 'http://127.0.0.1:9/v1', '--max-retries', '0'];

/** A data set folder whose samples point at `images` (paths as written in samples.jsonl). */
function dataset(name: string, images: readonly string[], files: Record<string, string> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [dst, src] of Object.entries(files)) copyFileSync(src, join(dir, dst));
  writeFileSync(join(dir, 'samples.jsonl'), images.map((im, i) => JSON.stringify({ id: `s${i}`, image: im, question: `What is in picture ${i}?`, reference_answer: `A picture ${i}.` })).join('\n') + '\n');
  return dir;
}

function answers(dir: string, n: number): string {
  const f = join(dir, 'answers.jsonl');
  writeFileSync(f, Array.from({ length: n }, (_, i) => JSON.stringify({ question_id: `s${i}`, prompt: `What is in picture ${i}?`, text: `It shows ${i}.`, answer_id: `a${i}`, model_id: 'm', metadata: {} })).join('\n') + '\n');
  return f;
}

function embed(dir: string, extra: string[] = []): CliResult {
  const n = readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').length;
  return runCli(['embed', '--dataset', dir, '--responses', answers(root, n), '--out', join(dir, 'out.safetensors'), '--encoders', 'builtin', '--no-cache', '--quiet', ...extra]);
}

function oneLine(r: CliResult, re: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, re);
}

const outside = join(root, 'elsewhere');
mkdirSync(outside, { recursive: true });
copyFileSync(`${FIX}rgb.png`, join(outside, 'secret.png'));

test('image paths escaping the data set (../, absolute, symlink) are refused unless --images or --allow-images-outside', () => {
  const up = dataset('up', ['../elsewhere/secret.png']);
  oneLine(runCli(['infer', '--dataset', up, '--model', 'm', '--out', join(up, 'a.jsonl'), ...DEAD]), /samples\.jsonl:1: image "\.\.\/elsewhere\/secret\.png" resolves to .*secret\.png, outside the data set folder/);
  const abs = dataset('abs', [join(outside, 'secret.png')]);
  oneLine(runCli(['judge', '--dataset', abs, '--answers', answers(abs, 1), '--judge-model', 'j', '--out', join(abs, 'r.jsonl'), ...DEAD]), /samples\.jsonl:1: image ".*secret\.png" resolves to .*, outside the data set folder/);
  const link = dataset('link', ['pic.png']);
  symlinkSync(join(outside, 'secret.png'), join(link, 'pic.png'));
  oneLine(embed(link), /samples\.jsonl:1: image "pic\.png" resolves to .*elsewhere\/secret\.png, outside/);
  oneLine(runCli(['shift', '--dataset', link, '--out', join(root, 'shift-link'), '--grid', 'custom', '--scenarios', 'llava_bench_coco_contrast_2', '--workers', '0']), /outside the data set folder/);
  const shiftOut = join(root, 'shift-link');
  assert.deepEqual(existsSync(shiftOut) ? readdirSync(shiftOut, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.png')) : [], [], 'shift copied nothing');
  // widened explicitly: both ways work
  assert.equal(embed(up, ['--images', outside]).code, 0);
  assert.equal(embed(link, ['--allow-images-outside']).code, 0);
});

test('/dev/zero, a FIFO and a directory as an image are refused at once, without reading them', () => {
  const dev = dataset('dev', ['zero.png']);
  symlinkSync('/dev/zero', join(dev, 'zero.png'));
  oneLine(embed(dev, ['--allow-images-outside']), /sample s0: .*zero\.png: not a regular file \(a character device\)/);
  const fifo = dataset('fifo', ['pipe.png']);
  execFileSync('mkfifo', [join(fifo, 'pipe.png')]);
  oneLine(embed(fifo), /sample s0: .*pipe\.png: not a regular file \(a FIFO\)/);
  const dir = dataset('dir', ['sub']);
  mkdirSync(join(dir, 'sub'));
  oneLine(embed(dir), /sample s0: .*sub: not a regular file \(a directory\)/);
});

/** A PNG whose header declares w×h (its IDAT holds only the first rows: the refusal comes from the header). */
function pngBomb(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Buffer): number => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Buffer): Buffer => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc((3 * w + 1) * 16))), chunk('IEND', Buffer.alloc(0))]);
}

test('a 12000×12000 PNG bomb is refused from its header by embed and shift; --max-image-pixels is the knob', () => {
  const bomb = dataset('bomb', ['bomb.png']);
  writeFileSync(join(bomb, 'bomb.png'), pngBomb(12000, 12000));
  oneLine(embed(bomb), /bomb\.png: image is 12000×12000 = 144000000 pixels, over the limit of 89478485 \(raise it with --max-image-pixels\)/);
  oneLine(runCli(['shift', '--dataset', bomb, '--out', join(root, 'shift-bomb'), '--grid', 'custom', '--scenarios', 'llava_bench_coco_contrast_2', '--workers', '1']), /bomb\.png: image is 12000×12000/);
  const small = dataset('small', ['rgb.png'], { 'rgb.png': `${FIX}rgb.png` });
  oneLine(embed(small, ['--max-image-pixels', '100']), /rgb\.png: image is 23×17 = 391 pixels, over the limit of 100/);
});

test('a truncated JPEG is refused with one line naming the file before infer sends any request', async () => {
  let requests = 0;
  const server = createServer((_req, res) => { requests++; res.writeHead(500).end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const cut = dataset('cut', ['good.jpg', 'cut.jpg'], { 'good.jpg': `${FIX}q444.jpg` });
    const jpg = readFileSync(`${FIX}q444.jpg`);
    writeFileSync(join(cut, 'cut.jpg'), jpg.subarray(0, jpg.length >> 1));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const r = await runCliAsync(['infer', '--dataset', cut, '--model', 'm', '--out', join(cut, 'a.jsonl'), '--base-url', url, '--max-retries', '0', '--no-cache']);
    oneLine(r, /sample s1: .*cut\.jpg: cannot decode image \(/);
    assert.equal(requests, 0, 'no request reached the endpoint');
  } finally {
    server.close();
  }
});

test('libvips\' multi-line errors reach the user as one line naming the file (shift, embed)', () => {
  const bad = dataset('vips', ['cut.png'], {});
  const png = readFileSync(`${FIX}rgba.png`);
  writeFileSync(join(bad, 'cut.png'), png.subarray(0, png.length - 30));
  oneLine(runCli(['shift', '--dataset', bad, '--out', join(root, 'shift-vips'), '--grid', 'custom', '--scenarios', 'llava_bench_coco_contrast_2', '--workers', '1']), /sample s0: .*cut\.png: cannot decode image \(/);
  oneLine(embed(bad), /sample s0: .*cut\.png: cannot decode image \(/);
});

test('TIFF and BMP images are accepted by embed and shift alike (shift writes a BMP back as PNG)', () => {
  const mixed = dataset('mixed', ['a.tif', 'b.bmp', 'c.bmp'], { 'a.tif': `${FIX}lzw.tif`, 'b.bmp': `${FIX}rgb24.bmp`, 'c.bmp': `${FIX}palette4.bmp` });
  const e = embed(mixed);
  assert.equal(e.code, 0, e.stderr);
  const out = join(root, 'shift-mixed');
  const s = runCli(['shift', '--dataset', mixed, '--out', out, '--grid', 'custom', '--scenarios', 'llava_bench_coco_contrast_2', '--workers', '1']);
  assert.equal(s.code, 0, s.stderr);
  const lines = readFileSync(join(out, 'llava_bench_coco_contrast_2', 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { image: string });
  assert.deepEqual(lines.map((l) => l.image), ['images/a.tif', 'images/b.png', 'images/c.png']);
});

test('infer accepts TIFF and BMP too, sending them as PNG; JPEG and PNG go as they are', async () => {
  const server = await startFakeServer(() => ({ kind: 'text', text: 'an answer' }));
  try {
    const mixed = dataset('infer-mixed', ['a.tif', 'b.bmp', 'c.jpg', 'd.png'], { 'a.tif': `${FIX}lzw.tif`, 'b.bmp': `${FIX}rgb24.bmp`, 'c.jpg': `${FIX}q420.jpg`, 'd.png': `${FIX}rgb.png` });
    const r = await runCliAsync(['infer', '--dataset', mixed, '--model', 'm', '--out', join(mixed, 'a.jsonl'), '--base-url', server.url, '--no-cache', '--concurrency', '1']);
    assert.equal(r.code, 0, r.stderr);
    const types = server.requests.map((q) => {
      const part = (q.body.messages.at(-1)!.content as { image_url?: { url: string } }[]).find((p) => p.image_url)!;
      return part.image_url!.url.slice(0, part.image_url!.url.indexOf(';'));
    });
    assert.deepEqual(types, ['data:image/png', 'data:image/png', 'data:image/jpeg', 'data:image/png']);
  } finally {
    await server.close();
  }
});

test('a parquet image.path of ".." is exit 2 naming the row, not an internal error', async () => {
  const file = join(root, 'dotdot.parquet');
  const columnData = [
    { name: 'image', data: [{ bytes: new Uint8Array(readFileSync(`${FIX}q420.jpg`)), path: '..' }] },
    { name: 'question', data: ['What is it?'] },
  ];
  const schema = [
    { name: 'root', num_children: 2 },
    { name: 'image', num_children: 2, repetition_type: 'OPTIONAL' },
    { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'question', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await parquetWriteFile({ filename: file, columnData, schema } as any);
  oneLine(runCli(['shift', '--dataset', file, '--out', join(root, 'shift-pq'), '--grid', 'custom', '--scenarios', 'llava_bench_coco_contrast_2', '--workers', '0']), /dotdot\.parquet: row 0: image\.path "\.\." has no file name/);
});
