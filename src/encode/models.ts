/**
 * Where the paper encoders' weights come from, and fetching them.
 *
 * Layout (the one transformers.js uses for `env.localModelPath`): `<models dir>/<repo>/<file>`,
 * e.g. `~/.cache/mllmshift/models/Xenova/clip-vit-base-patch32/onnx/vision_model.onnx`.
 * A folder given with `--model-dir DIR` is searched as `DIR/<repo>`, `DIR/<repo name>` and
 * `DIR` itself; then the default models directory (`$MLLMSHIFT_CACHE_DIR/models`, else
 * `$XDG_CACHE_HOME/mllmshift/models`, else `~/.cache/mllmshift/models`).
 *
 * `pullModels` downloads the files from the Hugging Face hub (`$HF_ENDPOINT` or
 * https://huggingface.co, `resolve/main/<file>`) into that layout: streamed to `<file>.part`
 * and renamed when complete, so an interrupted download never looks like a model.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError, RemoteError } from '../errors.js';
import { Progress } from './progress.js';

export interface ModelSpec {
  /** Short name used on the command line. */
  readonly name: 'clip' | 'xlmr';
  readonly title: string;
  /** Hugging Face repository. */
  readonly repo: string;
  /** Files the encoder cannot run without. */
  readonly required: readonly string[];
  /** Files fetched too when the repository has them. */
  readonly optional: readonly string[];
  readonly approxBytes: number;
}

export const PAPER_MODELS: readonly ModelSpec[] = [
  {
    name: 'clip',
    title: 'CLIP ViT-B/32 vision tower (ONNX)',
    repo: 'Xenova/clip-vit-base-patch32',
    required: ['onnx/vision_model.onnx'],
    optional: ['config.json', 'preprocessor_config.json'],
    approxBytes: 352e6,
  },
  {
    name: 'xlmr',
    title: 'XLM-RoBERTa-base weights and tokenizer',
    repo: 'FacebookAI/xlm-roberta-base',
    required: ['model.safetensors', 'tokenizer.json'],
    optional: ['config.json', 'tokenizer_config.json'],
    approxBytes: 1.13e9,
  },
];

export function modelSpec(name: string): ModelSpec {
  const s = PAPER_MODELS.find((m) => m.name === name);
  if (!s) throw new InputError(`unknown model "${name}" (known: ${PAPER_MODELS.map((m) => m.name).join(', ')})`);
  return s;
}

/** `$MLLMSHIFT_CACHE_DIR`, else `$XDG_CACHE_HOME/mllmshift`, else `~/.cache/mllmshift`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLLMSHIFT_CACHE_DIR) return env.MLLMSHIFT_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mllmshift');
}

export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultCacheDir(env), 'models');
}

/** Folders searched for a model, in order. */
export function modelCandidates(spec: ModelSpec, modelDir?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  if (modelDir) out.push(join(modelDir, spec.repo), join(modelDir, basename(spec.repo)), modelDir);
  out.push(join(defaultModelsDir(env), spec.repo));
  return out;
}

function hasAll(dir: string, files: readonly string[]): boolean {
  return files.every((f) => {
    try {
      return statSync(join(dir, f)).size > 0;
    } catch {
      return false;
    }
  });
}

/** The first candidate folder that has every required file, or undefined. */
export function findModel(spec: ModelSpec, modelDir?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return modelCandidates(spec, modelDir, env).find((d) => hasAll(d, spec.required));
}

export function hubUrl(spec: ModelSpec, file: string, endpoint = process.env.HF_ENDPOINT || 'https://huggingface.co'): string {
  return `${endpoint.replace(/\/+$/, '')}/${spec.repo}/resolve/main/${file}`;
}

/** The error for a model that is not on disk: what to download, from where, to where. */
export function missingModelError(spec: ModelSpec, modelDir?: string, reason?: string): InputError {
  const target = join(modelDir ?? defaultModelsDir(), spec.repo);
  const files = spec.required.map((f) => `${hubUrl(spec, f)} → ${join(target, f)}`).join('; ');
  return new InputError(
    `${spec.title} not found (looked in ${modelCandidates(spec, modelDir).join(', ')})` +
      `${reason ? `; download failed: ${reason}` : ''}. ` +
      `Run \`mllmshift models pull${modelDir ? ` --model-dir ${modelDir}` : ''}\` on a machine with internet, or download ${files}` +
      ` (optional: ${spec.optional.join(', ')}); or use --encoders builtin`,
  );
}

export interface PullOptions {
  /** Checked before the file is kept (lower-case hex); a mismatch removes the download. */
  readonly sha256?: string;
  /** What to tell a user who cannot connect (default: copy the files by hand, see `models status`). */
  readonly offlineHint?: string;
  /** Destination root (default: the default models directory). */
  readonly modelDir?: string;
  /** Hub endpoint (default `$HF_ENDPOINT` or https://huggingface.co). */
  readonly endpoint?: string;
  /** Re-download files that already exist. */
  readonly force?: boolean;
  readonly progress?: boolean;
  readonly fetch?: typeof fetch;
}

export interface PulledFile {
  readonly file: string;
  readonly path: string;
  readonly status: 'downloaded' | 'present' | 'absent-optional';
  readonly bytes: number;
}

const fmtMB = (n: number) => `${(n / 1e6).toFixed(1)}MB`;

/**
 * Streams `url` to `dest` (through `dest.part`, renamed when complete and, with `opts.sha256`,
 * verified). Returns the byte count, or undefined for an optional file the server does not have.
 */
export async function download(url: string, dest: string, opts: PullOptions, optional: boolean): Promise<number | undefined> {
  const f = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await f(url, { redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new RemoteError(
      `${url}: cannot connect (${cause?.code ?? cause?.message ?? (e as Error).message}); ${opts.offlineHint ?? 'without internet access, copy the files by hand (see `mllmshift models status`)'}`,
    );
  }
  if (optional && res.status === 404) return undefined;
  if (!res.ok || !res.body) throw new RemoteError(`${url}: HTTP ${res.status} ${res.statusText}`);
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const total = Number(res.headers.get('content-length') ?? 0);
  const bar = new Progress(basename(dest), total, { enabled: (opts.progress ?? true) && total > 0, format: fmtMB });
  let got = 0;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  const hash = createHash('sha256');
  body.on('data', (c: Buffer) => {
    got += c.length;
    hash.update(c);
    bar.tick(c.length);
  });
  try {
    await pipeline(body, createWriteStream(part));
  } catch (e) {
    if (existsSync(part)) unlinkSync(part);
    throw new RemoteError(`${url}: download interrupted after ${got} bytes (${(e as Error).message})`);
  }
  bar.finish();
  if (total > 0 && got !== total) {
    unlinkSync(part);
    throw new RemoteError(`${url}: received ${got} bytes, expected ${total}`);
  }
  const digest = hash.digest('hex');
  if (opts.sha256 !== undefined && digest !== opts.sha256) {
    unlinkSync(part);
    throw new RemoteError(`${url}: sha256 of the download is ${digest}, expected ${opts.sha256}; the file was not kept`);
  }
  renameSync(part, dest);
  return got;
}

/** Download a paper model's files into `<modelDir>/<repo>/`. */
export async function pullModel(spec: ModelSpec, opts: PullOptions = {}): Promise<PulledFile[]> {
  const root = join(opts.modelDir ?? defaultModelsDir(), spec.repo);
  const out: PulledFile[] = [];
  for (const [file, optional] of [...spec.required.map((f) => [f, false] as const), ...spec.optional.map((f) => [f, true] as const)]) {
    const path = join(root, file);
    if (!opts.force && existsSync(path) && statSync(path).size > 0) {
      out.push({ file, path, status: 'present', bytes: statSync(path).size });
      continue;
    }
    const bytes = await download(hubUrl(spec, file, opts.endpoint), path, opts, optional);
    out.push(bytes === undefined ? { file, path, status: 'absent-optional', bytes: 0 } : { file, path, status: 'downloaded', bytes });
  }
  return out;
}
