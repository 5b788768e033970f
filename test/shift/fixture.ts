/**
 * Small seeded LLaVA-Bench style data sets for the shift tests: `n` images (JPEG, and PNG for
 * every `pngEvery`-th), questions, GPT-4-style answers; optionally an in-the-wild layout.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/core/random.js';

const QUESTIONS = [
  'What is the color of the two suitcases in the image?',
  'Analyze the image in a comprehensive and detailed manner.',
  'What potential factors could make these suitcases valuable?',
  'Explain the visual content of the image in great detail.',
];

async function photo(w: number, h: number, seed: number, format: 'jpeg' | 'png'): Promise<Buffer> {
  const rng = Rng.forKey(seed, 'photo');
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const n = rng.next() * 24;
      px[o] = Math.round(60 + 60 * Math.sin((x + seed * 7) / 6) + n);
      px[o + 1] = Math.round(40 + (x * 150) / w + n);
      px[o + 2] = ((x >> 3) ^ (y >> 3)) & 1 ? 180 : 50;
    }
  }
  const s = sharp(px, { raw: { width: w, height: h, channels: 3 } });
  return format === 'jpeg' ? s.jpeg({ quality: 90 }).toBuffer() : s.png().toBuffer();
}

export interface FixtureOptions {
  readonly n: number;
  readonly width?: number;
  readonly height?: number;
  readonly pngEvery?: number;
  /** In-the-wild names (questions.jsonl, answers_gpt4.jsonl, images/). */
  readonly wild?: boolean;
  readonly seed?: number;
}

export async function writeFixture(dir: string, o: FixtureOptions): Promise<void> {
  const imgDir = o.wild ? join(dir, 'images') : dir;
  mkdirSync(imgDir, { recursive: true });
  const q: string[] = [];
  const a: string[] = [];
  for (let i = 0; i < o.n; i++) {
    const format = o.pngEvery && i % o.pngEvery === o.pngEvery - 1 ? 'png' : 'jpeg';
    const name = `${o.wild ? 'wild' : 'coco'}_${String(i).padStart(3, '0')}.${format === 'jpeg' ? 'jpg' : 'png'}`;
    writeFileSync(join(imgDir, name), await photo(o.width ?? 64, o.height ?? 48, (o.seed ?? 0) * 1000 + i, format));
    q.push(JSON.stringify({ question_id: i, image: name, text: QUESTIONS[i % QUESTIONS.length], category: ['conv', 'detail', 'complex'][i % 3] }));
    a.push(JSON.stringify({ question_id: i, text: `Reference answer ${i}.` }));
  }
  writeFileSync(join(dir, o.wild ? 'questions.jsonl' : 'qa90_questions.jsonl'), `${q.join('\n')}\n`);
  writeFileSync(join(dir, o.wild ? 'answers_gpt4.jsonl' : 'qa90_gpt4_answer.jsonl'), `${a.join('\n')}\n`);
}

/** Every file under `dir` (relative path → bytes), for byte-for-byte comparisons. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}
