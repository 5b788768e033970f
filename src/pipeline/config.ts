/**
 * The run configuration of `mllmshift run CONFIG.yaml`, validated with zod. Paths are relative
 * to the configuration file. See `examples/run.yaml` for an annotated example.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

const endpoint = z.object({
  /** Model name sent to the endpoint. */
  name: z.string().min(1),
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 */
  base_url: z.string().url(),
  /** Environment variable holding the API key (never the key itself). */
  api_key_env: z.string().min(1).optional(),
  concurrency: z.number().int().min(1).max(256).default(4),
  max_tokens: z.number().int().min(1).default(1024),
  temperature: z.number().min(0).max(2).default(0),
  timeout_s: z.number().positive().default(300),
}).strict();

const scenarioSpec = z.union([
  z.object({ grid: z.enum(['synthetic', 'natural']) }).strict(),
  z.object({ names: z.array(z.string().min(1)).min(1) }).strict(),
]);

export const runConfigSchema = z.object({
  /** A name for the study (used in the report). */
  name: z.string().min(1),
  /** Output folder; default: a folder named after the study next to the config. */
  out: z.string().min(1).optional(),
  data: z.object({
    /** The ID data set: a dataset dir, LLaVA-Bench layout (questions + answers JSONL + images) or parquet. */
    id: z.string().min(1),
    /** The ID scenario name (default llava_bench_coco). */
    id_name: z.string().min(1).default('llava_bench_coco'),
    /** Shifted scenarios to generate from the ID set with the shift stage … */
    scenarios: scenarioSpec.optional(),
    /** … and/or existing OOD data sets by scenario name. */
    ood: z.record(z.string(), z.string().min(1)).default({}),
    /** Limit every set to its first N samples (quick trials). */
    limit: z.number().int().min(2).optional(),
    seed: z.number().int().min(0).default(0),
    /** A folder the data sets' images may be in besides their own (`--images`). */
    images: z.string().min(1).optional(),
    /** Accept image paths outside the data set and `images` folders (`--allow-images-outside`). */
    allow_images_outside: z.boolean().default(false),
    /** Refuse images with more decoded pixels (`--max-image-pixels`; default PIL's bomb threshold). */
    max_image_pixels: z.number().int().min(1).optional(),
  }).strict(),
  /** The model under study. */
  model: endpoint,
  /** Reference answers: from the data sets (default) or from a reference model endpoint. */
  references: z.union([
    z.object({ source: z.literal('dataset') }).strict(),
    z.object({ source: z.literal('model'), model: endpoint }).strict(),
  ]).default({ source: 'dataset' }),
  /** Optional LLM judge (LLaVA-Bench protocol). */
  judge: endpoint.extend({ both_orders: z.boolean().default(false) }).optional(),
  encoders: z.object({
    kind: z.enum(['paper', 'builtin', 'auto']).default('auto'),
    model_dir: z.string().optional(),
    batch_size: z.number().int().min(1).default(16),
  }).strict().default({ kind: 'auto', batch_size: 16 }),
  estimator: z.union([
    z.object({ checkpoint: z.string().min(1) }).strict(),
    z.object({
      train: z.object({
        epochs: z.number().int().min(1).default(50),
        batch_size: z.number().int().min(2).default(256),
        lr: z.number().positive().default(1e-3),
        hidden: z.number().int().min(1).default(250),
        pairs: z.enum(['reference', 'model', 'both']).default('both'),
        val_fraction: z.number().gt(0).lt(1).default(0.1),
        seed: z.number().int().min(0).default(0),
      }).strict(),
    }).strict(),
  ]),
  analysis: z.object({
    bound: z.enum(['scale-adjusted', 'full']).default('scale-adjusted'),
    entropy_scaler: z.number().positive().default(1),
    jsd_mixture: z.enum(['equal', 'sample-weighted']).default('equal'),
    bootstrap: z.number().int().min(0).default(200),
    permutations: z.number().int().min(0).default(200),
    seed: z.number().int().min(0).default(0),
  }).strict().default({ bound: 'scale-adjusted', entropy_scaler: 1, jsd_mixture: 'equal', bootstrap: 200, permutations: 200, seed: 0 }),
  report: z.object({
    html: z.boolean().default(true),
    examples: z.number().int().min(0).default(6),
  }).strict().default({ html: true, examples: 6 }),
}).strict();

export type RunConfig = z.infer<typeof runConfigSchema>;
export type EndpointConfig = z.infer<typeof endpoint>;
/** The endpoint schema, shared with the monitor's configuration. */
export { endpoint as endpointSchema };

/** A validated configuration with every path made absolute. */
export interface ResolvedRunConfig extends RunConfig {
  readonly configPath: string;
  readonly outDir: string;
}

export function formatIssues(path: string, error: z.ZodError): string {
  const first = error.issues[0];
  const where = first.path.length > 0 ? first.path.join('.') : '(top level)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more issue${error.issues.length > 2 ? 's' : ''})` : '';
  return `${path}: ${where}: ${first.message}${more}`;
}

/** Validate a parsed configuration object; `path` names it in errors. */
export function validateRunConfig(value: unknown, path: string): ResolvedRunConfig {
  const r = runConfigSchema.safeParse(value);
  if (!r.success) throw new ConfigError(formatIssues(path, r.error));
  const c = r.data;
  const base = dirname(resolve(path));
  const abs = (p: string): string => resolve(base, p);
  const outDir = abs(c.out ?? c.name.replace(/[^A-Za-z0-9._-]+/g, '_'));
  const resolved: ResolvedRunConfig = {
    ...c,
    configPath: resolve(path),
    outDir,
    data: { ...c.data, id: abs(c.data.id), ...(c.data.images ? { images: abs(c.data.images) } : {}), ood: Object.fromEntries(Object.entries(c.data.ood).map(([k, v]) => [k, abs(v)])) },
    encoders: { ...c.encoders, ...(c.encoders.model_dir ? { model_dir: abs(c.encoders.model_dir) } : {}) },
    estimator: 'checkpoint' in c.estimator ? { checkpoint: abs(c.estimator.checkpoint) } : c.estimator,
  };
  if (!c.data.scenarios && Object.keys(c.data.ood).length === 0) {
    throw new ConfigError(`${path}: data: give OOD scenarios to generate (data.scenarios) or existing OOD sets (data.ood)`);
  }
  return resolved;
}

/** Read and parse a YAML (or JSON) configuration file; errors name the file. */
export function readYamlConfig(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `${path}: file not found` : `${path}: cannot read (${code})`);
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${path}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Read, parse and validate a YAML (or JSON) configuration file. */
export function loadRunConfig(path: string): ResolvedRunConfig {
  return validateRunConfig(readYamlConfig(path), path);
}
