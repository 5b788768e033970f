/**
 * The demo's own small benchmark: procedural scenes with known contents (coloured circles,
 * squares and triangles on a plain background), rendered to JPEG, with LLaVA-Bench-style
 * questions of the three categories whose correct answers are known exactly.
 */
import sharp from 'sharp';
import { Rng } from '../core/random.js';
import type { Sample } from '../data/sample.js';

export const COLORS = { red: [220, 40, 40], green: [40, 170, 60], blue: [40, 80, 220], yellow: [235, 200, 30], purple: [140, 60, 170] } as const;
export type ColorName = keyof typeof COLORS;
export const SHAPES = ['circle', 'square', 'triangle'] as const;
export type ShapeName = (typeof SHAPES)[number];
const BACKGROUNDS = { white: [245, 245, 240], gray: [180, 180, 185], beige: [230, 215, 185] } as const;
type BackgroundName = keyof typeof BACKGROUNDS;

export interface SceneObject {
  readonly shape: ShapeName;
  readonly color: ColorName;
  /** Centre in pixels and radius (half side). */
  readonly x: number;
  readonly y: number;
  readonly r: number;
}

export interface Scene {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly background: BackgroundName;
  readonly objects: readonly SceneObject[];
}

const WIDTH = 320;
const HEIGHT = 240;

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

/** `count` random scenes with 3–6 non-overlapping objects each. */
export function makeScenes(count: number, seed: number): Scene[] {
  const rng = new Rng(seed);
  const scenes: Scene[] = [];
  for (let k = 0; k < count; k++) {
    const objects: SceneObject[] = [];
    const target = 3 + rng.int(4);
    for (let tries = 0; objects.length < target && tries < 200; tries++) {
      const r = 16 + rng.int(26);
      const x = r + rng.int(WIDTH - 2 * r);
      const y = r + rng.int(HEIGHT - 2 * r);
      if (objects.some((o) => Math.hypot(o.x - x, o.y - y) < o.r + r + 6)) continue;
      objects.push({ shape: pick(rng, SHAPES), color: pick(rng, Object.keys(COLORS) as ColorName[]), x, y, r });
    }
    scenes.push({ id: `scene${String(k).padStart(3, '0')}`, width: WIDTH, height: HEIGHT, background: pick(rng, Object.keys(BACKGROUNDS) as BackgroundName[]), objects });
  }
  return scenes;
}

function inside(o: SceneObject, px: number, py: number): boolean {
  const dx = px - o.x;
  const dy = py - o.y;
  if (o.shape === 'circle') return dx * dx + dy * dy <= o.r * o.r;
  if (o.shape === 'square') return Math.abs(dx) <= o.r && Math.abs(dy) <= o.r;
  // Upward triangle inscribed in the square of half side r.
  if (dy < -o.r || dy > o.r) return false;
  const half = ((dy + o.r) / (2 * o.r)) * o.r;
  return Math.abs(dx) <= half;
}

/** Render a scene to JPEG bytes (deterministic). */
export async function renderScene(scene: Scene): Promise<Buffer> {
  const px = Buffer.alloc(scene.width * scene.height * 3);
  const bg = BACKGROUNDS[scene.background];
  for (let y = 0; y < scene.height; y++) {
    for (let x = 0; x < scene.width; x++) {
      let c: readonly number[] = bg;
      // A faint vertical gradient so backgrounds are not flat.
      const shade = 1 - (0.08 * y) / scene.height;
      for (const o of scene.objects) if (inside(o, x, y)) c = COLORS[o.color];
      const i = 3 * (y * scene.width + x);
      px[i] = Math.round(c[0] * (c === bg ? shade : 1));
      px[i + 1] = Math.round(c[1] * (c === bg ? shade : 1));
      px[i + 2] = Math.round(c[2] * (c === bg ? shade : 1));
    }
  }
  return sharp(px, { raw: { width: scene.width, height: scene.height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

function where(o: SceneObject, s: Scene): string {
  const h = o.x < s.width / 3 ? 'left' : o.x > (2 * s.width) / 3 ? 'right' : 'center';
  const v = o.y < s.height / 3 ? 'top' : o.y > (2 * s.height) / 3 ? 'bottom' : 'middle';
  return v === 'middle' && h === 'center' ? 'center' : `${v} ${h}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A question of the demo benchmark, with its exact answer and the facts a correct answer states. */
export interface SceneQuestion {
  readonly id: string;
  readonly sceneId: string;
  readonly category: 'conv' | 'detail' | 'complex';
  readonly question: string;
  readonly reference: string;
  /** A wrong but plausible answer (what a confused model says). */
  readonly wrong: string;
}

/** The scene as text, for a text-only judge (LLaVA-Bench's context). */
export function sceneContext(s: Scene): string {
  const items = s.objects.map((o) => `a ${o.r > 30 ? 'large' : o.r > 22 ? 'medium' : 'small'} ${o.color} ${o.shape} at the ${where(o, s)}`);
  return `A ${s.width}x${s.height} image with a ${s.background} background showing ${items.join(', ')}.`;
}

export function sceneQuestions(s: Scene, rng: Rng): SceneQuestion[] {
  const target = pick(rng, s.objects);
  const count = s.objects.filter((o) => o.color === target.color && o.shape === target.shape).length;
  const wrongCount = count + 1 + rng.int(2);
  const largest = [...s.objects].sort((a, b) => b.r - a.r)[0];
  const otherColors = (Object.keys(COLORS) as ColorName[]).filter((c) => c !== largest.color);
  const wrongColor = pick(rng, otherColors);
  const described = s.objects.map((o) => `a ${o.color} ${o.shape} in the ${where(o, s)}`).join(', ');
  const colorsPresent = [...new Set(s.objects.map((o) => o.color))].sort();
  return [
    {
      id: `${s.id}_conv`, sceneId: s.id, category: 'conv',
      question: `How many ${target.color} ${target.shape}s are there in the image?`,
      reference: `There ${count === 1 ? 'is' : 'are'} ${plural(count, `${target.color} ${target.shape}`)} in the image.`,
      wrong: `There are ${plural(wrongCount, `${target.color} ${target.shape}`)} in the image.`,
    },
    {
      id: `${s.id}_detail`, sceneId: s.id, category: 'detail',
      question: 'Describe the image in detail.',
      reference: `The image shows ${plural(s.objects.length, 'geometric shape')} on a ${s.background} background: ${described}. The colors present are ${colorsPresent.join(', ')}.`,
      wrong: `The image shows a few blurry shapes on a plain background; it is hard to make out their colors or exact positions.`,
    },
    {
      id: `${s.id}_complex`, sceneId: s.id, category: 'complex',
      question: 'Which object is the largest in the image, what color is it, and where is it located?',
      reference: `The largest object is the ${largest.color} ${largest.shape} in the ${where(largest, s)} of the image; it is bigger than the other ${plural(s.objects.length - 1, 'shape')}.`,
      wrong: `The largest object seems to be a ${wrongColor} shape, but the image is not clear enough to say where it is.`,
    },
  ];
}

/** The demo benchmark as samples (images as JPEG bytes) plus the question key. */
export async function demoBenchmark(scenes: number, seed: number): Promise<{ samples: Sample[]; questions: SceneQuestion[]; scenes: Scene[] }> {
  const rng = new Rng(seed + 1);
  const all = makeScenes(scenes, seed);
  const samples: Sample[] = [];
  const questions: SceneQuestion[] = [];
  for (const s of all) {
    const bytes = new Uint8Array(await renderScene(s));
    for (const q of sceneQuestions(s, rng)) {
      questions.push(q);
      samples.push({ id: q.id, image: { kind: 'bytes', bytes, name: `${s.id}.jpg` }, question: q.question, referenceAnswer: q.reference, category: q.category, context: sceneContext(s) });
    }
  }
  return { samples, questions, scenes: all };
}
