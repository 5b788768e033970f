/**
 * The scenario registry (DESIGN.md §3): every data set of the paper's two grids, named exactly
 * as the authors' files, with its modality and severities, and a parser for custom names built
 * from the same parts.
 *
 * A scenario name is `{base}{_image-corruption_s}{_text-shift}`:
 * - base: `llava_bench_coco` or `llava_bench_in_the_wild_{easy|normal|hard}`;
 * - image corruption (ImageNet-C name, severity s = 1…5), e.g. `_defocus_blur_3`, `_frost_5`;
 * - text shift: `_sr_r` (WordNet synonym replacement of 0.05·r of the words), `_KeyboardAug_r`
 *   (QWERTY typos in 0.05·r of the words), `_CharInsert_r` / `_CharDelete_r` / `_CharSwap_r`
 *   (random character edits in 0.05·r of the words), or a language (`_German`, `_Korean`, …;
 *   `_English` means untranslated).
 */
import { InputError } from '../errors.js';

export type ShiftModality = 'none' | 'visual' | 'text' | 'joint';

/** ImageNet-C corruptions implemented by `shift/image.ts`. */
export const IMAGE_CORRUPTIONS = [
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'defocus_blur',
  'motion_blur',
  'zoom_blur',
  'snow',
  'frost',
  'fog',
  'brightness',
  'contrast',
  'pixelate',
  'jpeg_compression',
] as const;
export type ImageCorruption = (typeof IMAGE_CORRUPTIONS)[number];

/** Rate-based text perturbations implemented by `shift/text.ts` (level r → rate 0.05·r). */
export const TEXT_PERTURBATIONS = ['sr', 'KeyboardAug', 'CharInsert', 'CharDelete', 'CharSwap'] as const;
export type TextPerturbation = (typeof TEXT_PERTURBATIONS)[number];

/** The paper's natural-shift languages, in the authors' order. */
export const PAPER_LANGUAGES = ['English', 'German', 'Chinese', 'Korean', 'Greek', 'Arabic', 'Hindi'] as const;

export type ScenarioBase = 'llava_bench_coco' | 'llava_bench_in_the_wild';
export type WildSplit = 'easy' | 'normal' | 'hard';

export type ImageShift = { readonly kind: ImageCorruption; readonly severity: number };
export type TextShift =
  | { readonly kind: TextPerturbation; readonly level: number }
  | { readonly kind: 'translate'; readonly language: string };

export interface Scenario {
  /** The exact name (e.g. `llava_bench_coco_defocus_blur_3_sr_7`). */
  readonly name: string;
  readonly base: ScenarioBase;
  /** In-the-wild only: which half (easy/hard, 30 questions) or all 60 (normal). */
  readonly split?: WildSplit;
  readonly image?: ImageShift;
  readonly text?: TextShift;
  /** Which input marginal differs from the ID set: visual, text, both (joint) or none. */
  readonly modality: ShiftModality;
  /** Severities: image corruption 1…5, text level r (rate 0.05·r); absent when not applicable. */
  readonly severity: { readonly visual?: number; readonly text?: number };
}

const BASE_RE = /^llava_bench_(coco|in_the_wild_(easy|normal|hard))(.*)$/;
const CORRUPTION_RE = new RegExp(`^_(${IMAGE_CORRUPTIONS.join('|')})_([1-5])(.*)$`);
const TEXT_RE = new RegExp(`^_(${TEXT_PERTURBATIONS.join('|')})_(\\d{1,2})$`);
const LANGUAGE_RE = /^_([A-Z][a-z]+)$/;

/** Parse a scenario name into its parts; throws InputError naming what was not understood. */
export function parseScenario(name: string): Scenario {
  const m = BASE_RE.exec(name);
  if (!m) throw new InputError(`scenario "${name}": must start with llava_bench_coco or llava_bench_in_the_wild_{easy,normal,hard}`);
  const base: ScenarioBase = m[1] === 'coco' ? 'llava_bench_coco' : 'llava_bench_in_the_wild';
  const split = m[2] as WildSplit | undefined;
  let rest = m[3];
  let image: ImageShift | undefined;
  const c = CORRUPTION_RE.exec(rest);
  if (c) {
    image = { kind: c[1] as ImageCorruption, severity: Number(c[2]) };
    rest = c[3];
  }
  let text: TextShift | undefined;
  if (rest !== '') {
    const t = TEXT_RE.exec(rest);
    const l = LANGUAGE_RE.exec(rest);
    if (t) {
      const level = Number(t[2]);
      if (level < 1 || level > 20) throw new InputError(`scenario "${name}": text level ${level} out of range 1…20 (rate 0.05·r)`);
      text = { kind: t[1] as TextPerturbation, level };
    } else if (l) {
      text = { kind: 'translate', language: l[1] };
    } else {
      throw new InputError(
        `scenario "${name}": cannot parse "${rest}" (expected _<corruption>_<1-5> with corruption in ${IMAGE_CORRUPTIONS.join(', ')}, then _<${TEXT_PERTURBATIONS.join('|')}>_<r> or _<Language>)`,
      );
    }
  }
  const textChanged = text !== undefined && !(text.kind === 'translate' && text.language === 'English');
  // The in-the-wild sets have other images and other questions than the COCO ID set.
  let modality: ShiftModality;
  if (base === 'llava_bench_in_the_wild' || (image && textChanged)) modality = 'joint';
  else if (image) modality = 'visual';
  else modality = textChanged ? 'text' : 'none';
  const severity: { visual?: number; text?: number } = {};
  if (image) severity.visual = image.severity;
  if (text && text.kind !== 'translate') severity.text = text.level;
  return { name, base, ...(split ? { split } : {}), ...(image ? { image } : {}), ...(text ? { text } : {}), modality, severity };
}

/** The synthetic grid: 7 image conditions × 5 text conditions = 35 sets, the ID first (authors' order). */
export function syntheticGrid(): Scenario[] {
  const visual = ['', '_defocus_blur_1', '_defocus_blur_3', '_defocus_blur_5', '_frost_1', '_frost_3', '_frost_5'];
  const textual = ['', '_sr_4', '_sr_7', '_KeyboardAug_1', '_KeyboardAug_3'];
  return visual.flatMap((v) => textual.map((t) => parseScenario(`llava_bench_coco${v}${t}`)));
}

/** The natural grid: 4 visual sources × 7 languages = 28 sets, the ID (`llava_bench_coco_English`) first. */
export function naturalGrid(): Scenario[] {
  const visual = ['llava_bench_coco', 'llava_bench_in_the_wild_easy', 'llava_bench_in_the_wild_normal', 'llava_bench_in_the_wild_hard'];
  return visual.flatMap((v) => PAPER_LANGUAGES.map((l) => parseScenario(`${v}_${l}`)));
}

export type GridName = 'synthetic' | 'natural';

export function scenarioGrid(grid: GridName): Scenario[] {
  return grid === 'synthetic' ? syntheticGrid() : naturalGrid();
}

/** The ID scenario of a grid (`llava_bench_coco`, `llava_bench_coco_English`). */
export function idScenarioName(grid: GridName): string {
  return grid === 'synthetic' ? 'llava_bench_coco' : 'llava_bench_coco_English';
}

const PAPER_ORDER: ReadonlyMap<string, number> = new Map([...syntheticGrid(), ...naturalGrid()].map((s, i) => [s.name, i]));

/**
 * Sort scenario names in the paper's order (the grids above: severity ascending; COCO, then
 * in-the-wild easy/normal/hard; languages as PAPER_LANGUAGES); names outside both grids keep
 * their relative order after them. Example: ['llava_bench_coco_frost_1', 'llava_bench_coco_sr_4']
 * → ['llava_bench_coco_sr_4', 'llava_bench_coco_frost_1'].
 */
export function inPaperOrder<T>(items: readonly T[], name: (item: T) => string): T[] {
  const rank = (t: T): number => PAPER_ORDER.get(name(t)) ?? Number.POSITIVE_INFINITY;
  return items.map((t, i) => ({ t, i, r: rank(t) })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r - b.r)).map((x) => x.t);
}
