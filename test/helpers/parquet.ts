/**
 * Test fixtures in the layout of the authors' Hugging Face export: seeded JPEGs and parquet files
 * with an image struct {bytes, path}, `question`, `reference_answer` (and optionally `category`).
 */
import sharp from 'sharp';
import { parquetWriteFile } from 'hyparquet-writer';

/** A seeded w×h RGB JPEG (deterministic pixel pattern). */
export async function jpeg(w: number, h: number, seed: number): Promise<Uint8Array> {
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + seed * 101) % 251;
  return new Uint8Array(await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
}

/** Write a parquet file in the Hugging Face `datasets` image layout (image struct {bytes, path}). */
export async function writeHfParquet(file: string, rows: { bytes: Uint8Array; path: string | null; question: string; ref: string | null }[], extra: 'category' | 'none' = 'none'): Promise<void> {
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
