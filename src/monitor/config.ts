/**
 * The configuration of `mllmshift monitor CONFIG.yaml` (validated with zod; paths relative to
 * the file). See docs/monitoring.md and examples/monitor.yaml.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { boundOptionsShape, encodersSchema, endpointSchema, formatIssues, readYamlConfig } from '../pipeline/config.js';
import { TRAFFIC_FORMATS } from './ingest.js';

export const monitorConfigSchema = z.object({
  name: z.string().min(1),
  /** Output folder (state, dashboard); default: named after `name`, next to the config. */
  out: z.string().min(1).optional(),
  traffic: z.object({
    format: z.enum(TRAFFIC_FORMATS),
    path: z.string().min(1),
    /** Folder image paths in the log are relative to (and must stay inside). */
    images: z.string().min(1).optional(),
    /** llava: the questions file the answers were made from. */
    questions: z.string().min(1).optional(),
  }).strict(),
  windows: z.object({
    /** count: every `size` requests; hour/day: calendar windows in UTC. */
    by: z.enum(['count', 'hour', 'day']),
    size: z.number().int().min(2).optional(),
    /** Requests analysed per window (a seeded uniform sample of the window; all when fewer). */
    sample: z.number().int().min(4).max(2000).default(32),
    /** Analyse the last window even though it may still grow (default: only closed windows). */
    analyse_last: z.boolean().default(false),
  }).strict(),
  reference: z.object({
    /** The first N windows of traffic are the reference period … */
    windows: z.number().int().min(1).optional(),
    /** … or a benchmark data set (the ID set) with the deployed model's answers on it. */
    dataset: z.string().min(1).optional(),
    answers: z.string().min(1).optional(),
    /** Rows of the reference period used as the reference set R (all of them train the estimator). */
    size: z.number().int().min(4).default(64),
  }).strict(),
  /** Reference answers Y for a share of each window, from a reference model. */
  references: z.object({
    model: endpointSchema,
    fraction: z.number().gt(0).max(1).default(0.5),
    max_per_window: z.number().int().min(2).optional(),
    /** Cost budget: at most floor(budget_per_window / cost_per_request) references per window. */
    cost_per_request: z.number().positive().optional(),
    budget_per_window: z.number().positive().optional(),
  }).strict(),
  encoders: encodersSchema,
  estimator: z.union([
    z.object({ checkpoint: z.string().min(1) }).strict(),
    z.object({
      train: z.object({
        epochs: z.number().int().min(1).default(30),
        batch_size: z.number().int().min(2).default(256),
        lr: z.number().positive().default(1e-3),
        hidden: z.number().int().min(1).default(250),
        seed: z.number().int().min(0).default(0),
      }).strict(),
    }).strict(),
  ]),
  analysis: z.object({
    ...boundOptionsShape,
    /** Bayesian-bootstrap replicates per window (0: no intervals). */
    bootstrap: z.number().int().min(0).default(50),
    /** Permutations of the per-window null (alerts.ts). */
    null_windows: z.number().int().min(3).default(40),
    /** Drifted samples kept per window for the dashboard. */
    top_samples: z.number().int().min(0).max(50).default(5),
    seed: z.number().int().min(0).default(0),
  }).strict().default({ bound: 'scale-adjusted', entropy_scaler: 1, jsd_mixture: 'equal', bootstrap: 50, null_windows: 40, top_samples: 5, seed: 0 }),
  alerts: z.object({
    /** Probability of any false alarm over the whole (unlimited) run. */
    alpha: z.number().gt(0).lt(1).default(0.01),
    /** Practical thresholds: alert only when the statistic exceeds its null mean by this much. */
    emid_min_effect: z.number().min(0).default(0),
    bound_min_effect: z.number().min(0).default(0),
    /** POST each alert (JSON) to this URL. */
    webhook: z.string().url().optional(),
  }).strict().default({ alpha: 0.01, emid_min_effect: 0, bound_min_effect: 0 }),
}).strict();

export type MonitorConfig = z.infer<typeof monitorConfigSchema>;

export interface ResolvedMonitorConfig extends MonitorConfig {
  readonly configPath: string;
  readonly outDir: string;
}

export function validateMonitorConfig(value: unknown, path: string): ResolvedMonitorConfig {
  const r = monitorConfigSchema.safeParse(value);
  if (!r.success) throw new ConfigError(formatIssues(path, r.error));
  const c = r.data;
  const abs = (p: string): string => resolve(dirname(resolve(path)), p);
  const fail = (m: string): never => { throw new ConfigError(`${path}: ${m}`); };
  if (c.windows.by === 'count' && c.windows.size === undefined) fail('windows.size: count windows need a size (requests per window)');
  if (c.windows.by !== 'count' && c.windows.size !== undefined) fail('windows.size: only for windows.by = count');
  if (c.traffic.format === 'llava' && c.windows.by !== 'count') fail('windows.by: LLaVA answer files carry no time; use count windows');
  if (c.traffic.format === 'llava' && !c.traffic.questions) fail('traffic.questions: the LLaVA questions file is needed to find each answer\'s image');
  const hasWindows = c.reference.windows !== undefined;
  const hasDataset = c.reference.dataset !== undefined;
  if (hasWindows === hasDataset) fail('reference: give either windows (the first N windows of traffic) or dataset (+ answers)');
  if (hasDataset && !c.reference.answers) fail('reference.answers: the deployed model\'s answer file on the reference data set is needed');
  if ((c.references.cost_per_request === undefined) !== (c.references.budget_per_window === undefined)) fail('references: cost_per_request and budget_per_window go together');
  return {
    ...c,
    configPath: resolve(path),
    outDir: abs(c.out ?? c.name.replace(/[^A-Za-z0-9._-]+/g, '_')),
    traffic: {
      ...c.traffic,
      path: abs(c.traffic.path),
      ...(c.traffic.images ? { images: abs(c.traffic.images) } : {}),
      ...(c.traffic.questions ? { questions: abs(c.traffic.questions) } : {}),
    },
    reference: {
      ...c.reference,
      ...(c.reference.dataset ? { dataset: abs(c.reference.dataset) } : {}),
      ...(c.reference.answers ? { answers: abs(c.reference.answers) } : {}),
    },
    encoders: { ...c.encoders, ...(c.encoders.model_dir ? { model_dir: abs(c.encoders.model_dir) } : {}) },
    estimator: 'checkpoint' in c.estimator ? { checkpoint: abs(c.estimator.checkpoint) } : c.estimator,
  };
}

export function loadMonitorConfig(path: string): ResolvedMonitorConfig {
  return validateMonitorConfig(readYamlConfig(path), path);
}

/** References to ask for in a window of `n` analysed rows: the fraction, capped by count and cost. */
export function referenceBudget(c: MonitorConfig['references'], n: number): number {
  let k = Math.round(c.fraction * n);
  if (c.max_per_window !== undefined) k = Math.min(k, c.max_per_window);
  if (c.cost_per_request !== undefined && c.budget_per_window !== undefined) k = Math.min(k, Math.floor(c.budget_per_window / c.cost_per_request + 1e-9));
  return Math.min(n, Math.max(0, k));
}
