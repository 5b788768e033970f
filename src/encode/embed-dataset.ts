/**
 * `embed` as a library call: data set + answer files → embedding-set file (DESIGN.md §5).
 * Loads the samples (any layout `loadDataset` reads), pairs them with the model responses and
 * the reference responses (a second answer file, or the data set's own reference answers),
 * embeds them (embed.ts) and writes `x_v`, `x_t`, `y_hat`, `y` with the scenario name, sample
 * ids and encoder ids/versions in the metadata.
 */
import { basename, extname } from 'node:path';
import { InputError } from '../errors.js';
import { loadDataset } from '../data/load.js';
import { checkAnswerPrompts, readAnswerFile } from '../data/responses.js';
import { writeEmbeddingSet } from '../io/embedding-set.js';
import { VERSION } from '../version.js';
import type { EmbeddingCache } from './cache.js';
import { buildEmbedInputs, embedInputs, type EmbedStats } from './embed.js';
import type { Encoder } from './encoder.js';

export interface EmbedDatasetOptions {
  readonly dataset: string;
  readonly responses: string;
  readonly references?: string;
  /** Output `.safetensors` path. */
  readonly out: string;
  /** Scenario name for the metadata (default: the output file name without extension). */
  readonly scenario?: string;
  /** Parquet split when the data set directory holds several. */
  readonly split?: string;
  /** Embed only the first `limit` samples (a run's `data.limit`). */
  readonly limit?: number;
  readonly encoder: Encoder;
  readonly cache?: EmbeddingCache | null;
  readonly batchSize?: number;
  readonly progress?: boolean;
  /** Image folder and containment (data/image-root.ts). */
  readonly load?: { readonly images?: string; readonly allowImagesOutside?: boolean };
  readonly maxImagePixels?: number;
  /** Use answers whose `prompt` differs from their sample's question (default: refuse them). */
  readonly allowPromptMismatch?: boolean;
  /** Warnings (a prompt mismatch allowed by `allowPromptMismatch`). */
  readonly warn?: (message: string) => void;
}

export interface EmbedDatasetSummary {
  readonly out: string;
  readonly scenario: string;
  readonly samples: number;
  readonly dim: number;
  readonly encoders: { readonly kind: string; readonly image: { id: string; version: string }; readonly text: { id: string; version: string } };
  readonly stats: EmbedStats;
  readonly seconds: number;
}

export async function embedDataset(opts: EmbedDatasetOptions): Promise<EmbedDatasetSummary> {
  const t0 = performance.now();
  if (extname(opts.out).toLowerCase() !== '.safetensors') {
    throw new InputError(`${opts.out}: the embedding set is written as safetensors; give a path ending in .safetensors`);
  }
  const all = await loadDataset(opts.dataset, { ...(opts.split ? { split: opts.split } : {}), ...opts.load });
  const samples = opts.limit === undefined ? all : all.slice(0, opts.limit);
  const responses = readAnswerFile(opts.responses);
  const references = opts.references ? { records: readAnswerFile(opts.references), file: opts.references } : undefined;
  for (const [records, file] of [[responses, opts.responses], ...(references ? [[references.records, references.file] as const] : [])] as const) {
    const mismatch = checkAnswerPrompts(samples, records, file, opts.allowPromptMismatch);
    if (mismatch !== undefined) opts.warn?.(mismatch);
  }
  const inputs = buildEmbedInputs(samples, opts.dataset, responses, opts.responses, references);
  const r = await embedInputs(inputs, opts.encoder, { batchSize: opts.batchSize, cache: opts.cache, progress: opts.progress, ...(opts.maxImagePixels !== undefined ? { maxImagePixels: opts.maxImagePixels } : {}) });
  const scenario = opts.scenario ?? basename(opts.out, extname(opts.out));
  const encoders = { kind: r.encoders.kind, image: r.encoders.image, text: r.encoders.text };
  writeEmbeddingSet(opts.out, {
    xv: r.xv,
    xt: r.xt,
    yHat: r.yHat,
    y: r.y,
    scenario,
    sampleIds: r.ids,
    encoders,
    extraMetadata: { mllmshift_version: VERSION },
  });
  return { out: opts.out, scenario, samples: r.ids.length, dim: r.encoders.dim, encoders, stats: r.stats, seconds: (performance.now() - t0) / 1000 };
}
