import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parquetWriteFile } from 'hyparquet-writer';
import { jpeg, writeHfParquet } from '../helpers/parquet.js';
import { loadDataset, readImageBytes } from '../../src/data/load.js';
import { loadParquet, parquetSplitName } from '../../src/data/parquet.js';
import { InputError } from '../../src/errors.js';

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
