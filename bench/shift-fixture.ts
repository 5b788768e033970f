/**
 * A seeded LLaVA-Bench style data set for the shift benchmark: `n` distinct JPEG images
 * (smooth shading, edges, texture and noise, like photographs at a glance), one question each
 * (LLaVA-Bench-like wording), GPT-4-style reference answers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../src/core/random.js';

const QUESTIONS = [
  'What is the color of the two suitcases in the image?',
  'Analyze the image in a comprehensive and detailed manner.',
  'What potential factors could make these suitcases valuable?',
  'What are the main objects on the table in the image?',
  'Describe the following image.',
  'What activity might have recently taken place around this table and what could be its aftermath?',
  'Explain the visual content of the image in great detail.',
  'What challenges might the person in this scene be facing while riding through the busy street?',
  'Is there anything unusual about the way the animals are positioned in this picture?',
];

/** RGB bytes of one w×h synthetic photograph. */
export function syntheticPhoto(w: number, h: number, rng: Rng): Buffer {
  const px = Buffer.alloc(w * h * 3);
  const f = [rng.uniform(20, 60), rng.uniform(20, 60), rng.uniform(20, 60)];
  const base = [rng.uniform(40, 200), rng.uniform(40, 200), rng.uniform(40, 200)];
  const shapes = Array.from({ length: 6 }, () => ({ x: rng.uniform(0, w), y: rng.uniform(0, h), r: rng.uniform(30, 140), c: [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)] }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      let c = [0, 1, 2].map((k) => base[k] + 50 * Math.sin(x / f[k]) * Math.cos(y / f[(k + 1) % 3]));
      for (const s of shapes) if ((x - s.x) ** 2 + (y - s.y) ** 2 < s.r * s.r) c = s.c.map((v, k) => 0.3 * c[k] + 0.7 * v);
      const n = (rng.next() - 0.5) * 16;
      for (let k = 0; k < 3; k++) px[o + k] = Math.max(0, Math.min(255, Math.round(c[k] + n)));
    }
  }
  return px;
}

/** Write `n` samples as a LLaVA-Bench COCO style folder (qa90_questions.jsonl, qa90_gpt4_answer.jsonl, images). */
export async function writeLlavaBenchFixture(dir: string, n: number, w = 640, h = 480, seed = 0): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const questions: string[] = [];
  const answers: string[] = [];
  const categories = ['conv', 'detail', 'complex'];
  for (let i = 0; i < n; i++) {
    const rng = Rng.forKey(seed, 'photo', i);
    const name = `COCO_val2014_${String(100000 + i).padStart(12, '0')}.jpg`;
    await sharp(syntheticPhoto(w, h, rng), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(dir, name));
    questions.push(JSON.stringify({ question_id: i, image: name, text: QUESTIONS[i % QUESTIONS.length], category: categories[i % 3] }));
    answers.push(JSON.stringify({ question_id: i, text: `A reference answer for question ${i}.`, answer_id: `a${i}`, model_id: 'gpt-4-0314' }));
  }
  writeFileSync(join(dir, 'qa90_questions.jsonl'), `${questions.join('\n')}\n`);
  writeFileSync(join(dir, 'qa90_gpt4_answer.jsonl'), `${answers.join('\n')}\n`);
}
