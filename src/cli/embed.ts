/**
 * `mllmshift embed --dataset DIR_OR_FILE --responses FILE [--references FILE] --out SET.safetensors
 *  [--encoders paper|builtin|auto] [--model-dir DIR] [--batch-size N] [--no-cache] …`
 */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { EncoderChoice } from '../encode/embed.js';
import { defaultCacheDir } from '../encode/models.js';
import { printJson, runAction } from './run-action.js';
import { addImageOptions, imageOptions, type ImageCliOptions } from './options.js';

interface EmbedCliOptions extends ImageCliOptions {
  dataset: string;
  responses: string;
  references?: string;
  out: string;
  encoders: EncoderChoice;
  modelDir?: string;
  batchSize: string;
  cache: boolean;
  cacheDir?: string;
  offline?: boolean;
  scenario?: string;
  split?: string;
  threads?: string;
  quiet?: boolean;
  allowPromptMismatch?: boolean;
  json?: boolean;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${v}"`);
  return n;
}

export function register(program: Command): void {
  const cmd = program
    .command('embed')
    .description('Embed images, questions, model responses and reference responses into an embedding set (x_v, x_t, y_hat, y)')
    .requiredOption('--dataset <path>', 'data set: directory with samples.jsonl, LLaVA-Bench layout, or parquet')
    .requiredOption('--responses <file>', 'model responses (LLaVA answer-file JSONL, matched by question_id)')
    .option('--references <file>', 'reference responses as an answer file (default: the data set\'s reference answers)')
    .requiredOption('--out <file>', 'output embedding set (.safetensors); its name is the scenario name')
    .addOption(
      new Option('--encoders <kind>', 'paper: CLIP ViT-B/32 + XLM-R (E4, E5); builtin: weight-free stand-ins; auto: paper if the models are on disk, else builtin')
        .choices(['paper', 'builtin', 'auto'])
        .default('auto'),
    )
    .option('--model-dir <dir>', 'folder with the paper models (see `mllmshift models status`)')
    .option('--batch-size <n>', 'items per encoder call', '16')
    .option('--no-cache', 'neither read nor write the embedding cache')
    .option('--cache-dir <dir>', 'embedding cache folder (default: <cache>/embeddings, see MLLMSHIFT_CACHE_DIR)')
    .option('--offline', 'never download models (also: HF_HUB_OFFLINE=1)')
    .option('--scenario <name>', 'scenario name in the metadata (default: output file name)')
    .option('--split <name>', 'parquet split when the data set holds several')
    .option('--threads <n>', 'onnxruntime threads for CLIP (default: one per core)')
    .option('--allow-prompt-mismatch', 'use answers whose prompt differs from the data set\'s question (warn instead of refusing)')
    .option('--quiet', 'no progress bars')
    .option('--json', 'print one JSON document on stdout');
  addImageOptions(cmd, { outside: true, pixels: true })
    .action(
      runAction(async (opts: EmbedCliOptions) => {
        const batchSize = positiveInt(opts.batchSize, '--batch-size');
        const threads = opts.threads !== undefined ? positiveInt(opts.threads, '--threads') : undefined;
        // Loaded here, not at start-up: sharp and onnxruntime are native modules every other command would pay for.
        const [{ EmbeddingCache }, { embedDataset }, { loadEncoder }] = await Promise.all([
          import('../encode/cache.js'),
          import('../encode/embed-dataset.js'),
          import('../encode/embed.js'),
        ]);
        const encoder = await loadEncoder(opts.encoders, {
          modelDir: opts.modelDir,
          threads,
          ...(opts.offline ? { download: false } : {}),
        });
        try {
          const cache = opts.cache ? new EmbeddingCache(opts.cacheDir ?? join(defaultCacheDir(), 'embeddings')) : null;
          const s = await embedDataset({
            dataset: opts.dataset,
            responses: opts.responses,
            references: opts.references,
            out: opts.out,
            scenario: opts.scenario,
            split: opts.split,
            ...imageOptions(opts),
            encoder,
            cache,
            batchSize,
            progress: !opts.quiet,
            allowPromptMismatch: opts.allowPromptMismatch ?? false,
            warn: (m) => process.stderr.write(`mllmshift: warning: ${m}\n`),
          });
          if (opts.json) {
            printJson(s);
            return;
          }
          const st = s.stats;
          process.stdout.write(
            `${s.out}: ${s.samples} samples, dim ${s.dim}, encoders ${s.encoders.kind} ` +
              `(image ${s.encoders.image.id}, text ${s.encoders.text.id}); ` +
              `images ${st.images.distinct} distinct (${st.images.cached} cached, ${st.images.encoded} encoded), ` +
              `texts ${st.texts.distinct} distinct (${st.texts.cached} cached, ${st.texts.encoded} encoded); ${s.seconds.toFixed(1)} s\n`,
          );
        } finally {
          await encoder.dispose?.();
        }
      }),
    );
}
