/**
 * `mllmshift shift --dataset SRC --out DIR --grid synthetic|natural|custom [--scenarios …]
 * [--seed N]`: write the paper's shifted data sets (DESIGN.md §3), one dataset directory per
 * scenario plus `grid.json`. The work lives in `shift/generate.ts`; this file parses and prints.
 */
import { Option, type Command } from 'commander';
import { join, resolve } from 'node:path';
import { loadDataset } from '../data/load.js';
import type { SplitIndexVariant } from '../data/responses.js';
import { naturalGrid, parseScenario, syntheticGrid, type Scenario } from '../data/scenarios.js';
import { InputError, UsageError } from '../errors.js';
import { FrostTextures } from '../shift/frost.js';
import { generateShifts, type WildSource } from '../shift/generate.js';
import { readQueryEmbeddings, type SplitReference } from '../shift/splits.js';
import { wildByDistance, wildFromIndex, wildWithoutHalves } from '../shift/wild.js';
import { artefactSpec, requireArtefact } from '../encode/artefacts.js';
import { CachedTranslator, chatTranslator } from '../shift/translate.js';
import { endpointClient, positiveInt } from './infer.js';
import { addImageOptions, imageOptions, parseNonNegativeInt, type ImageCliOptions } from './options.js';
import { printJson, runAction } from './run-action.js';

export interface ShiftCliOptions extends ImageCliOptions {
  dataset: string;
  out: string;
  grid: 'synthetic' | 'natural' | 'custom';
  scenarios?: string;
  seed: string;
  split?: string;
  wildDataset?: string;
  wildSplit?: string;
  splitIndex?: string;
  splitIndexVariant: SplitIndexVariant;
  splitEmbeddings?: string;
  idEmbeddings?: string;
  splitReference: SplitReference;
  frostTextures?: string;
  quality: string;
  workers?: string;
  baseUrl?: string;
  model?: string;
  apiKeyEnv?: string;
  concurrency: string;
  timeout: string;
  maxRetries: string;
  retryDelay: string;
  translations?: string;
  json?: boolean;
}

/** The scenarios asked for: a grid, optionally narrowed by --scenarios, or --scenarios alone (custom). */
export function selectScenarios(grid: ShiftCliOptions['grid'], list: string | undefined): Scenario[] {
  const names = list?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (grid === 'custom') {
    if (!names || names.length === 0) throw new UsageError('--grid custom needs --scenarios NAME[,NAME…]');
    return [...new Set(names)].map((n) => {
      try {
        return parseScenario(n);
      } catch (e) {
        throw new UsageError(`--scenarios: ${(e as Error).message}`);
      }
    });
  }
  const all = grid === 'synthetic' ? syntheticGrid() : naturalGrid();
  if (!names) return all;
  const byName = new Map(all.map((s) => [s.name, s]));
  for (const n of names) {
    if (!byName.has(n)) throw new UsageError(`--scenarios: "${n}" is not in the ${grid} grid (use --grid custom for other names)`);
  }
  return all.filter((s) => names.includes(s.name));
}

/** The in-the-wild source and its easy/hard halves, when the scenarios need them. */
export async function wildSource(opts: ShiftCliOptions, scenarios: Scenario[]): Promise<WildSource | undefined> {
  const needed = scenarios.filter((s) => s.base === 'llava_bench_in_the_wild');
  if (needed.length === 0) return undefined;
  if (!opts.wildDataset) throw new UsageError(`${needed[0].name} needs the in-the-wild data set: pass --wild-dataset`);
  const samples = await loadDataset(opts.wildDataset, { ...(opts.wildSplit ? { split: opts.wildSplit } : {}), ...imageOptions(opts).load });
  const label = opts.wildSplit ? `${opts.wildDataset} (split ${opts.wildSplit})` : opts.wildDataset;
  const needHalves = needed.some((s) => s.split === 'easy' || s.split === 'hard');
  if (!needHalves) return wildWithoutHalves(samples, label);
  if (opts.splitIndex) {
    const file = opts.splitIndex === 'paper' ? requireArtefact(artefactSpec('lbwild-split')) : opts.splitIndex;
    return wildFromIndex(samples, label, file, opts.splitIndexVariant);
  }
  if (opts.splitEmbeddings && opts.idEmbeddings) {
    const ood = readQueryEmbeddings(opts.splitEmbeddings);
    const id = readQueryEmbeddings(opts.idEmbeddings);
    const rowIds = ood.sampleIds ?? samples.map((s) => s.id);
    if (rowIds.length !== ood.x.rows) throw new InputError(`${opts.splitEmbeddings}: ${ood.x.rows} rows but ${label} has ${samples.length} samples (and no sample_ids metadata)`);
    return wildByDistance(samples, label, ood.x, rowIds, id.x, opts.splitReference, { ood_embeddings: opts.splitEmbeddings, id_embeddings: opts.idEmbeddings });
  }
  throw new UsageError('easy/hard scenarios need --split-index FILE, or --split-embeddings FILE with --id-embeddings FILE');
}

export function register(program: Command): void {
  const cmd = program
    .command('shift')
    .description('Write shifted data sets named as in the paper (image corruptions, text perturbations, translations, easy/hard splits)')
    .requiredOption('--dataset <src>', 'ID data set: dataset directory, LLaVA-Bench folder (questions + images + GPT-4 answers) or parquet')
    .requiredOption('--out <dir>', 'output folder; one dataset directory per scenario')
    .addOption(new Option('--grid <grid>', 'scenario grid').choices(['synthetic', 'natural', 'custom']).default('synthetic'))
    .option('--scenarios <names>', 'comma-separated scenario names (a subset of the grid, or any parseable names with --grid custom)')
    .option('--seed <n>', 'random seed (same inputs + seed → same bytes)', '0')
    .option('--split <name>', 'parquet split of --dataset')
    .option('--wild-dataset <src>', 'LLaVA-Bench in-the-wild data set (natural grid)')
    .option('--wild-split <name>', 'parquet split of --wild-dataset')
    .option('--split-index <file>', 'easy/hard index lists, e.g. lbwild_split_idx.json; "paper": the authors\' lists from `models pull --only lbwild-split`')
    .addOption(new Option('--split-index-variant <v>', 'which index lists').choices(['fst_cd_new', 'lst_cd_new']).default('fst_cd_new'))
    .option('--split-embeddings <file>', 'embedding set (x_v, x_t) of --wild-dataset: easy/hard by cosine distance to --id-embeddings')
    .option('--id-embeddings <file>', 'embedding set (x_v, x_t) of the ID data set')
    .addOption(new Option('--split-reference <r>', 'distance to the ID centroid or to the nearest ID sample').choices(['centroid', 'nearest']).default('centroid'))
    .option('--frost-textures <dir>', 'folder of frost texture images (default: procedural textures)')
    .option('--quality <q>', 'JPEG/WebP quality of corrupted images', '95')
    .option('--workers <n>', 'worker threads for image corruptions (0: none; default: cores, at most 4)')
    .option('--base-url <url>', 'OpenAI-compatible API base URL for translations')
    .option('--model <name>', 'chat model for translations')
    .option('--api-key-env <var>', 'environment variable holding the API key (default: OPENAI_API_KEY if set)')
    .option('--concurrency <n>', 'translation requests in flight at most', '8')
    .option('--timeout <seconds>', 'timeout of one request', '120')
    .option('--max-retries <n>', 'retries on 429/5xx/timeouts/network errors', '6')
    .option('--retry-delay <ms>', 'first backoff delay', '1000')
    .option('--translations <file>', 'translation cache, read and extended (default OUT/translations.json)')
    .option('--json', 'print one JSON document on stdout');
  addImageOptions(cmd, { outside: false, pixels: true })
    .action(
      runAction(async (opts: ShiftCliOptions) => {
        const seed = parseNonNegativeInt(opts.seed, '--seed');
        const quality = positiveInt(opts.quality, '--quality');
        if (quality > 100) throw new UsageError(`--quality must be 1…100, got ${quality}`);
        const scenarios = selectScenarios(opts.grid, opts.scenarios);
        const t0 = Date.now();
        const images = imageOptions(opts);
        const samples = await loadDataset(opts.dataset, { ...(opts.split ? { split: opts.split } : {}), ...images.load });
        if (samples.length === 0) throw new InputError(`${opts.dataset}: no samples`);
        const wild = await wildSource(opts, scenarios);
        const needsTranslation = scenarios.some((s) => s.text?.kind === 'translate' && s.text.language !== 'English');
        let translator: CachedTranslator | undefined;
        if (needsTranslation) {
          if ((opts.baseUrl === undefined) !== (opts.model === undefined)) throw new UsageError('translation needs both --base-url and --model');
          const inner = opts.baseUrl ? chatTranslator(endpointClient({ ...opts, cache: false }), opts.model!, { seed }) : undefined;
          translator = new CachedTranslator(inner, resolve(opts.translations ?? join(opts.out, 'translations.json')));
        }
        const frost = opts.frostTextures ? await FrostTextures.fromFolder(opts.frostTextures) : FrostTextures.procedural(seed);
        try {
          const result = await generateShifts({
            source: { samples, label: opts.split ? `${opts.dataset} (split ${opts.split})` : opts.dataset },
            ...(wild ? { wild } : {}),
            scenarios,
            grid: opts.grid,
            outDir: opts.out,
            seed,
            frost,
            quality,
            ...(images.maxImagePixels !== undefined ? { maxImagePixels: images.maxImagePixels } : {}),
            ...(opts.workers !== undefined ? { workers: parseNonNegativeInt(opts.workers, '--workers') } : {}),
            ...(translator ? { translator } : {}),
            log: (line) => process.stderr.write(`shift: ${line}\n`),
          });
          const seconds = (Date.now() - t0) / 1000;
          if (opts.json) {
            const cpu = process.cpuUsage();
            printJson({ out: result.outDir, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, imagesCorrupted: result.imagesCorrupted, scenarios: result.scenarios });
          } else {
            for (const s of result.scenarios) process.stdout.write(`${s.name.padEnd(48)} ${s.modality.padEnd(7)} ${String(s.samples).padStart(4)}  ${s.dir}\n`);
            process.stdout.write(`${result.scenarios.length} data sets in ${seconds.toFixed(1)} s\n`);
          }
        } finally {
          translator?.save();
        }
      }),
    );
}
