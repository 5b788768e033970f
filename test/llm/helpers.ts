/**
 * Test fixtures for the LLM stages: small data sets of distinct PNGs, and the CLI run as a
 * child process without blocking this process (the fake server lives in it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDatasetDir } from '../../src/data/dataset-dir.js';
import type { Sample } from '../../src/data/sample.js';
import { childEnv } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

const CATEGORIES = ['conv', 'detail', 'complex'] as const;

/** A 4×4 PNG of one colour (distinct per i). */
export async function tinyPng(i: number): Promise<Uint8Array> {
  const buf = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } } })
    .png()
    .toBuffer();
  return new Uint8Array(buf);
}

/** `n` samples with ids "0".."n-1", categories cycling conv/detail/complex, references and contexts. */
export async function makeSamples(n: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      id: String(i),
      image: { kind: 'bytes', bytes: await tinyPng(i), name: `img${i}.png` },
      question: `What is in picture ${i}?`,
      referenceAnswer: `Reference answer ${i}.`,
      category: CATEGORIES[i % 3],
      context: `A flat square of colour number ${i}.`,
    });
  }
  return out;
}

/** Writes `makeSamples(n)` as a dataset directory. */
export async function makeDatasetDir(dir: string, n: number): Promise<void> {
  writeDatasetDir(dir, await makeSamples(n), { name: 'test-set' });
}

export interface CliRun {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `mllmshift args…` from source; `done` settles when it exits. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Resolves once `check()` is true, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/**
 * Writes a LLaVA-Bench folder of `n` questions on 3 images (categories cycling conv/detail/complex):
 * `coco` uses COCO's file names and caps_boxes context (captions, boxes), else in-the-wild's
 * (context.jsonl with a caption). Also writes a model answer file; `tag` makes the texts distinct.
 */
export async function writeLlavaSet(dir: string, coco: boolean, n: number, tag = ''): Promise<{ answers: string }> {
  mkdirSync(join(dir, 'images'), { recursive: true });
  const questions = [];
  const refs = [];
  const model = [];
  const contexts = [];
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(dir, 'images', `img${i}.png`), await tinyPng(i));
    contexts.push(coco
      ? { id: `img${i}`, image: `img${i}.png`, captions: [`Caption A of ${i}.`, `Caption "B" of ${i}.`], instances: [{ category: 'cup', bbox: [0.37, 0.584, 0.5, 1.0] }, { category: 'dining table', bbox: [0.0, 1e-5, 0.125, 0.3333] }] }
      : { image: `img${i}.png`, caption: `A wild description of picture ${i}.\nWith a second line.` });
  }
  for (let q = 0; q < n; q++) {
    questions.push({ question_id: q, image: `img${q % 3}.png`, text: `Question ${q}${tag}: what is shown?`, category: CATEGORIES[q % 3] });
    refs.push({ question_id: q, text: `GPT-4 answer ${q}.`, answer_id: `gpt4-${q}` });
    model.push({ question_id: q, prompt: `Question ${q}${tag}: what is shown?`, text: `Model answer ${q} with "quotes"\nand a newline.`, answer_id: `m-${q}`, model_id: 'llava-test', metadata: {} });
  }
  writeFileSync(join(dir, coco ? 'qa90_questions.jsonl' : 'questions.jsonl'), jsonl(questions));
  writeFileSync(join(dir, coco ? 'qa90_gpt4_answer.jsonl' : 'answers_gpt4.jsonl'), jsonl(refs));
  writeFileSync(join(dir, coco ? 'caps_boxes_coco2014_val_80.jsonl' : 'context.jsonl'), jsonl(contexts));
  const answers = join(dir, 'answers-model.jsonl');
  writeFileSync(answers, jsonl(model));
  return { answers };
}
