import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parquetWriteFile } from 'hyparquet-writer';
import { loadDataset, readImageBytes } from '../../src/data/load.js';
import { loadParquet, parquetSplitName } from '../../src/data/parquet.js';
import { InputError } from '../../src/errors.js';

/** A seeded w×h RGB JPEG (deterministic pixel pattern). */
async function jpeg(w: number, h: number, seed: number): Promise<Uint8Array> {
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + seed * 101) % 251;
  return new Uint8Array(await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
}

/** Write a parquet file in the Hugging Face `datasets` image layout (image struct {bytes, path}). */
async function writeHfParquet(file: string, rows: { bytes: Uint8Array; path: string | null; question: string; ref: string | null }[], extra: 'category' | 'none' = 'none'): Promise<void> {
  const columnData: { name: string; data: unknown[] }[] = [
    { name: 'image', data: rows.map((r) => ({ bytes: r.bytes, path: r.path })) },
    { name: 'question', data: rows.map((r) => r.question) },
    { name: 'reference_answer', data: rows.map((r) => r.ref) },
  ];
  const schema: Record<string, unknown>[] = [
    { name: 'root', num_children: extra === 'category' ? 4 : 3 },
    { name: 'image', num_children: 2, repetition_type: 'OPTIONAL' },
    { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    // HF writes questions as annotated strings; write this one un-annotated to exercise decoding under utf8:false
    { name: 'question', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'reference_answer', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
  if (extra === 'category') {
    columnData.push({ name: 'category', data: rows.map((_, i) => ['conv', 'detail', 'complex'][i % 3]) });
    schema.push({ name: 'category', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await parquetWriteFile({ filename: file, columnData, schema, codec: 'SNAPPY' } as any);
}

test('parquet with embedded JPEG bytes: bytes intact, decodable, text decoded, ids = row index', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-pq-'));
  try {
    const a = await jpeg(32, 24, 1);
    const b = await jpeg(20, 30, 2);
    const file = join(dir, 'x.parquet');
    await writeHfParquet(file, [
      { bytes: a, path: 'COCO_val2014_000000441147.jpg', question: 'Qué colour are the suitcases? 中文', ref: 'Black.' },
      { bytes: b, path: null, question: 'Describe.', ref: null },
    ], 'category');
    const s = await loadParquet(file);
    assert.equal(s.length, 2);
    assert.deepEqual(s.map((x) => x.id), ['0', '1']);
    assert.equal(s[0].question, 'Qué colour are the suitcases? 中文');
    assert.equal(s[0].referenceAnswer, 'Black.');
    assert.equal(s[1].referenceAnswer, undefined);
    assert.equal(s[1].category, 'detail');
    assert.equal(s[0].image.kind === 'bytes' && s[0].image.name, 'COCO_val2014_000000441147.jpg');
    const got = await readImageBytes(s[0]);
    assert.ok(Buffer.from(got).equals(Buffer.from(a)), 'JPEG bytes must round-trip unchanged');
    const meta = await sharp(await readImageBytes(s[1])).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 20, 30]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Hugging Face export directory: one split per scenario, chosen with split', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-pq-'));
  try {
    mkdirSync(join(dir, 'data'));
    const img = await jpeg(8, 8, 3);
    await writeHfParquet(join(dir, 'data', 'llava_bench_coco-00000-of-00001.parquet'), [{ bytes: img, path: 'a.jpg', question: 'id q', ref: 'r' }]);
    await writeHfParquet(join(dir, 'data', 'llava_bench_coco_sr_4-00000-of-00001.parquet'), [{ bytes: img, path: 'a.jpg', question: 'sr q', ref: 'r' }]);
    assert.equal(parquetSplitName('x/llava_bench_coco_sr_4-00000-of-00001.parquet'), 'llava_bench_coco_sr_4');
    assert.equal((await loadDataset(dir, { split: 'llava_bench_coco_sr_4' }))[0].question, 'sr q');
    assert.equal((await loadDataset(dir, { split: 'llava_bench_coco' }))[0].question, 'id q');
    await assert.rejects(loadDataset(dir), /holds 2 splits \(llava_bench_coco, llava_bench_coco_sr_4\); choose one with --split/);
    await assert.rejects(loadDataset(dir, { split: 'nope' }), /no parquet file for split "nope"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad parquet files are InputErrors naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mllmshift-pq-'));
  try {
    const bad = join(dir, 'bad.parquet');
    writeFileSync(bad, 'this is not parquet at all');
    await assert.rejects(loadParquet(bad), (e: Error) => e instanceof InputError && e.message.startsWith(`${bad}: not a readable parquet file`));
    const noimg = join(dir, 'noimg.parquet');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await parquetWriteFile({ filename: noimg, columnData: [{ name: 'question', data: ['q'], type: 'STRING' }] } as any);
    await assert.rejects(loadParquet(noimg), { message: `${noimg}: missing column "image" (columns: question)` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
