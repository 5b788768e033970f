/**
 * The run configuration of `mllmshift run CONFIG.yaml`, validated with zod. Paths are relative
 * to the configuration file. See `examples/run.yaml` for an annotated example.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { unsafeNameReason } from '../data/names.js';

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

/** A data set: a path (dataset dir, LLaVA-Bench folder, parquet file) or one split of a parquet folder. */
const dataRef = z.union([
  z.string().min(1),
  z.object({ parquet: z.string().min(1), split: z.string().min(1) }).strict(),
]);
export type DataRef = z.infer<typeof dataRef>;

/** The in-the-wild easy/hard halves: index lists (`paper`: the pulled lbwild-split) or embedding distance. */
const wildSplit = z.union([
  z.object({ index: z.string().min(1), variant: z.enum(['fst_cd_new', 'lst_cd_new']).default('fst_cd_new') }).strict(),
  z.object({ distance: z.enum(['centroid', 'nearest']) }).strict(),
]);

/** A scenario name: it names files and folders in the output, so one rule (data/names.ts). */
const scenarioName = z.string().min(1).superRefine((name, ctx) => {
  const reason = unsafeNameReason(name);
  if (reason !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: reason });
});

const scenarioSpec = z.union([
  z.object({ grid: z.enum(['synthetic', 'natural']) }).strict(),
  z.object({ names: z.array(scenarioName).min(1) }).strict(),
]);

/** The bound's form, its entropy scale H (E3) and the JSD mixture (E10), for studies and monitors. */
export const boundOptionsShape = {
  bound: z.enum(['scale-adjusted', 'full']).default('scale-adjusted'),
  entropy_scaler: z.number().positive().default(1),
  jsd_mixture: z.enum(['equal', 'sample-weighted']).default('equal'),
};

/** The encoders of a study or a monitor: paper (CLIP + XLM-R), built-in, or auto. */
export const encodersSchema = z.object({
  kind: z.enum(['paper', 'builtin', 'auto']).default('auto'),
  model_dir: z.string().optional(),
  batch_size: z.number().int().min(1).default(16),
}).strict().default({ kind: 'auto', batch_size: 16 });

export const runConfigSchema = z.object({
  /** A name for the study (used in the report). */
  name: z.string().min(1),
  /** Output folder; default: a folder named after the study next to the config. */
  out: z.string().min(1).optional(),
  data: z.object({
    /**
     * The ID data set: a dataset dir, LLaVA-Bench layout (questions + answers JSONL + images),
     * parquet, or `{parquet: DIR, split: NAME}`; default with `parquet`: its split `id_name`.
     */
    id: dataRef.optional(),
    /** The ID scenario name (default llava_bench_coco). */
    id_name: scenarioName.default('llava_bench_coco'),
    /** Shifted scenarios to generate from the ID set with the shift stage … */
    scenarios: scenarioSpec.optional(),
    /**
     * … or read, not generated, from a folder of parquet split files named by scenario (the
     * authors' Hugging Face export): each scenario of `scenarios` is the split of its name.
     */
    parquet: z.string().min(1).optional(),
    /** … and/or existing OOD data sets by scenario name. */
    ood: z.record(z.string(), dataRef).default({}),
    /** The LLaVA-Bench in-the-wild set (natural grid's `llava_bench_in_the_wild_*` scenarios). */
    wild: dataRef.optional(),
    /** Its easy/hard halves. */
    wild_split: wildSplit.optional(),
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
  /** Translation endpoint and cache for the natural grid's language scenarios. */
  translation: z.object({
    /** Chat model name; with base_url. Without an endpoint every translation must be in the cache. */
    name: z.string().min(1).optional(),
    base_url: z.string().url().optional(),
    api_key_env: z.string().min(1).optional(),
    concurrency: z.number().int().min(1).max(256).default(8),
    timeout_s: z.number().positive().default(120),
    /** Translation cache JSON ({language: {English: translation}}); default OUT/translations.json. */
    cache: z.string().min(1).optional(),
  }).strict().optional(),
  /** Optional LLM judge. */
  judge: endpoint.extend({
    both_orders: z.boolean().default(false),
    /** mllmshift (the project's rules), llava-bench (LLaVA's pulled rule.json and system line) or a protocol JSON file. */
    protocol: z.string().min(1).optional(),
    /** A rule file in LLaVA's format, with `system_prompt`. */
    rules: z.string().min(1).optional(),
    system_prompt: z.string().min(1).optional(),
    /** Rule keys of LLaVA's COCO or in-the-wild script; default: from each data set's contexts. */
    layout: z.enum(['coco', 'in-the-wild']).optional(),
    /** Models cache holding the pulled LLaVA rules. */
    model_dir: z.string().min(1).optional(),
  }).optional(),
  encoders: encodersSchema,
  estimator: z.union([
    /** A checkpoint path, or `paper`: the authors' CLUB_global.pt from `models pull --only club`. */
    // Its recorded encoders must be those of the run unless allow_encoder_mismatch.
    z.object({ checkpoint: z.string().min(1), allow_encoder_mismatch: z.boolean().default(false) }).strict(),
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
    ...boundOptionsShape,
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

/** A data set to load: a path, and the parquet split when the path is a folder of several. */
export interface DataSource {
  readonly path: string;
  readonly split?: string;
}

/** A validated configuration with every path made absolute. */
export interface ResolvedRunConfig extends Omit<RunConfig, 'data'> {
  readonly configPath: string;
  readonly outDir: string;
  readonly data: Omit<RunConfig['data'], 'id' | 'ood' | 'wild'> & {
    readonly id: DataSource;
    readonly ood: Readonly<Record<string, DataSource>>;
    readonly wild?: DataSource;
  };
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
  for (const key of Object.keys(c.data.ood)) {
    const reason = unsafeNameReason(key);
    if (reason !== undefined) throw new ConfigError(`${path}: data.ood: ${reason}`);
  }
  const base = dirname(resolve(path));
  const abs = (p: string): string => resolve(base, p);
  const source = (r: DataRef): DataSource => (typeof r === 'string' ? { path: abs(r) } : { path: abs(r.parquet), split: r.split });
  const outDir = abs(c.out ?? c.name.replace(/[^A-Za-z0-9._-]+/g, '_'));
  let id: DataSource;
  if (c.data.id !== undefined) id = source(c.data.id);
  else if (c.data.parquet !== undefined) id = { path: abs(c.data.parquet), split: c.data.id_name };
  else throw new ConfigError(`${path}: data.id: required (or give data.parquet, a folder of split files that has the split "${c.data.id_name}")`);
  if (c.data.parquet !== undefined && !c.data.scenarios) throw new ConfigError(`${path}: data.parquet: name the scenarios to read from it with data.scenarios`);
  const abs2 = (p: string | undefined): string | undefined => (p === undefined ? undefined : abs(p));
  const keep = (p: string | undefined): string | undefined => (p === undefined || p === 'paper' ? p : abs(p));
  const resolved: ResolvedRunConfig = {
    ...c,
    configPath: resolve(path),
    outDir,
    data: {
      ...c.data,
      wild: undefined,
      id,
      ood: Object.fromEntries(Object.entries(c.data.ood).map(([k, v]) => [k, source(v)])),
      ...(c.data.images ? { images: abs(c.data.images) } : {}),
      ...(c.data.parquet !== undefined ? { parquet: abs(c.data.parquet) } : {}),
      ...(c.data.wild !== undefined ? { wild: source(c.data.wild) } : {}),
      ...(c.data.wild_split && 'index' in c.data.wild_split ? { wild_split: { ...c.data.wild_split, index: keep(c.data.wild_split.index)! } } : {}),
    },
    ...(c.translation ? { translation: { ...c.translation, ...(c.translation.cache ? { cache: abs(c.translation.cache) } : {}) } } : {}),
    ...(c.judge ? { judge: { ...c.judge, ...(c.judge.rules ? { rules: abs2(c.judge.rules) } : {}), ...(c.judge.model_dir ? { model_dir: abs2(c.judge.model_dir) } : {}), ...(c.judge.protocol && /[/\\.]/.test(c.judge.protocol) ? { protocol: abs(c.judge.protocol) } : {}) } } : {}),
    encoders: { ...c.encoders, ...(c.encoders.model_dir ? { model_dir: abs(c.encoders.model_dir) } : {}) },
    estimator: 'checkpoint' in c.estimator ? { ...c.estimator, checkpoint: keep(c.estimator.checkpoint)! } : c.estimator,
  };
  if (!c.data.scenarios && Object.keys(c.data.ood).length === 0) {
    throw new ConfigError(`${path}: data: give OOD scenarios to generate (data.scenarios) or existing OOD sets (data.ood)`);
  }
  if (c.translation && (c.translation.name === undefined) !== (c.translation.base_url === undefined)) {
    throw new ConfigError(`${path}: translation: give both name and base_url (or neither, to use the cache only)`);
  }
  if (c.judge?.rules && c.judge.system_prompt === undefined) throw new ConfigError(`${path}: judge.rules needs judge.system_prompt`);
  if (c.judge?.rules && c.judge.protocol) throw new ConfigError(`${path}: judge: give either rules or protocol, not both`);
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
