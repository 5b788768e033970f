/**
 * Summaries of LLM-judge reviews (DESIGN.md §3), per category and overall:
 * - relative preference score RP = 100 · mean(model score) / mean(reference score);
 * - win rate = 100 · share of items where the model's score beats the reference's (ties ½);
 * - failed judgments (no scores, or LLaVA's [-1, -1] placeholder): counted, never averaged in;
 * - a percentile-bootstrap 95 % confidence interval for RP (items resampled with replacement
 *   within each category, seeded);
 * - a Wilson score interval for the win rate (Wilson 1927; wins + ½·ties successes out of n),
 *   which keeps its coverage at n = 30 where a percentile bootstrap of a proportion does not
 *   (bench/coverage-stats.ts); with ties the binomial variance is an upper bound, so it is
 *   conservative;
 * - `llava`: the three numbers LLaVA's `summarize_gpt_review.py` prints — means rounded to 3
 *   decimals first, then round(100·model/reference, 1), round(10·reference, 1),
 *   round(10·model, 1) — with Python's rounding (ties to even on the exact binary value).
 *   LLaVA averages failed [-1, -1] tuples in; here they are left out, so its numbers are
 *   reproduced on every file without failures.
 */
import { InputError } from '../errors.js';
import { Rng } from '../core/random.js';
import { signFlipPValue, twoSamplePermutationPValue } from '../core/bootstrap.js';
import { wilsonInterval } from '../core/proportion.js';
import { renderTable } from '../report/table.js';
import { readJsonl } from './jsonl-log.js';

/** One judged item: [reference score, model score], or null when the judgment failed. */
export interface ScoredReview {
  /** The reviewed question's id (`question_id`), when the file records it. */
  readonly id?: string;
  readonly category?: string;
  readonly tuple: readonly [number, number] | null;
}

export interface CategorySummary {
  /** Category name, or "all". */
  readonly category: string;
  /** Reviews with scores. */
  readonly n: number;
  /** Reviews whose judgment failed. */
  readonly failed: number;
  readonly referenceMean: number | null;
  readonly modelMean: number | null;
  readonly relativeScore: number | null;
  readonly relativeScoreCI: readonly [number, number] | null;
  /** In percent; ties count ½. */
  readonly winRate: number | null;
  /** Wilson score interval of the win rate, in percent. */
  readonly winRateCI: readonly [number, number] | null;
  readonly wins: number;
  readonly ties: number;
  readonly losses: number;
  /** The numbers LLaVA's summary script prints for this category. */
  readonly llava: { readonly relative: number; readonly reference: number; readonly model: number } | null;
}

export interface SummaryOptions {
  /** Bootstrap resamples for the RP interval; default 2000 (0 turns the intervals off, the Wilson one too). */
  readonly resamples?: number;
  /** Default 0. */
  readonly seed?: number;
  /** Confidence level; default 0.95. */
  readonly level?: number;
}

export interface ReviewsSummary {
  /** Categories in LLaVA's order (sorted names, "all" among them). */
  readonly categories: readonly CategorySummary[];
  readonly bootstrap: { readonly resamples: number; readonly seed: number; readonly level: number };
}

/**
 * Python's round(x, digits): the decimal with `digits` fraction digits nearest to the exact
 * binary value of x, ties to even. E.g. pyRound(2.675, 2) = 2.67 (2.675 is 2.67499… in
 * binary), pyRound(0.125, 2) = 0.12, pyRound(0.375, 2) = 0.38.
 */
export function pyRound(x: number, digits: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return x;
  const exact = Math.abs(x).toFixed(100);
  const [intPart, frac] = exact.split('.');
  const kept = BigInt(intPart + frac.slice(0, digits));
  const rest = frac.slice(digits);
  const restTrimmed = rest.replace(/0+$/, '');
  let up: boolean;
  if (restTrimmed === '' || rest[0] < '5') up = false;
  else if (rest[0] > '5' || restTrimmed.length > 1) up = true;
  else up = kept % 2n === 1n;
  const digitsStr = (up ? kept + 1n : kept).toString().padStart(digits + 1, '0');
  const text = digits === 0 ? digitsStr : `${digitsStr.slice(0, -digits)}.${digitsStr.slice(-digits)}`;
  const v = Number(text);
  return x < 0 ? -v : v;
}

/** The q-quantile of sorted values, linear interpolation between order statistics (h = (n − 1)·q). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function summarizeCategory(category: string, items: readonly ScoredReview[], opts: Required<SummaryOptions>): CategorySummary {
  const scored = items.filter((r): r is ScoredReview & { tuple: readonly [number, number] } => r.tuple !== null);
  const failed = items.length - scored.length;
  const n = scored.length;
  const ref = scored.map((r) => r.tuple[0]);
  const mod = scored.map((r) => r.tuple[1]);
  let wins = 0;
  let ties = 0;
  for (let i = 0; i < n; i++) {
    if (mod[i] > ref[i]) wins += 1;
    else if (mod[i] === ref[i]) ties += 1;
  }
  const base = { category, n, failed, wins, ties, losses: n - wins - ties };
  if (n === 0) {
    return { ...base, referenceMean: null, modelMean: null, relativeScore: null, relativeScoreCI: null, winRate: null, winRateCI: null, llava: null };
  }
  const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);
  const referenceMean = sum(ref) / n;
  const modelMean = sum(mod) / n;
  const relativeScore = referenceMean > 0 ? (100 * modelMean) / referenceMean : null;
  const winRate = (100 * (wins + 0.5 * ties)) / n;

  let relativeScoreCI: [number, number] | null = null;
  let winRateCI: [number, number] | null = null;
  if (opts.resamples > 0) {
    const rng = new Rng(opts.seed);
    const ratios = new Float64Array(opts.resamples);
    let ratioCount = 0;
    for (let b = 0; b < opts.resamples; b++) {
      let sr = 0;
      let sm = 0;
      for (let k = 0; k < n; k++) {
        const i = rng.int(n);
        sr += ref[i];
        sm += mod[i];
      }
      if (sr > 0) ratios[ratioCount++] = (100 * sm) / sr;
    }
    const alpha = (1 - opts.level) / 2;
    const r = ratios.subarray(0, ratioCount).sort();
    if (ratioCount > 0) relativeScoreCI = [quantileSorted(r, alpha), quantileSorted(r, 1 - alpha)];
    const [lo, hi] = wilsonInterval(wins + 0.5 * ties, n, opts.level);
    winRateCI = [100 * lo, 100 * hi];
  }

  const llavaRef = pyRound(referenceMean, 3);
  const llavaModel = pyRound(modelMean, 3);
  const llava = llavaRef !== 0
    ? { relative: pyRound((llavaModel / llavaRef) * 100, 1), reference: pyRound(llavaRef * 10, 1), model: pyRound(llavaModel * 10, 1) }
    : null;
  return { ...base, referenceMean, modelMean, relativeScore, relativeScoreCI, winRate, winRateCI, llava };
}

/** Summarises reviews per category and overall; see the module comment. */
export function summarizeReviews(reviews: readonly ScoredReview[], options: SummaryOptions = {}): ReviewsSummary {
  const opts: Required<SummaryOptions> = {
    resamples: options.resamples ?? 2000,
    seed: options.seed ?? 0,
    level: options.level ?? 0.95,
  };
  if (!Number.isInteger(opts.resamples) || opts.resamples < 0) throw new RangeError(`resamples must be a non-negative integer, got ${opts.resamples}`);
  if (!(opts.level > 0 && opts.level < 1)) throw new RangeError(`level must be in (0, 1), got ${opts.level}`);
  const groups = new Map<string, ScoredReview[]>([['all', []]]);
  for (const r of reviews) {
    groups.get('all')!.push(r);
    if (r.category !== undefined) {
      if (!groups.has(r.category)) groups.set(r.category, []);
      groups.get(r.category)!.push(r);
    }
  }
  const names = [...groups.keys()].sort();
  return {
    categories: names.map((name) => summarizeCategory(name, groups.get(name)!, opts)),
    bootstrap: opts,
  };
}

/**
 * Two-sided permutation p-value that a scenario's judge scores differ from the ID set's: the
 * per-item statistic is model score − reference score (failed judgments left out). Items whose
 * question ids appear in both files are paired (sign-flip test of the mean per-question
 * difference, the same question judged under both conditions); with fewer than 2 shared ids the
 * two files are compared as independent samples (two-sample permutation test of the means).
 * null when either side has no scored item.
 */
export function judgeDifferencePValue(id: readonly ScoredReview[], ood: readonly ScoredReview[], permutations: number, seed: number): number | null {
  const margin = (r: ScoredReview): number | null => (r.tuple === null ? null : r.tuple[1] - r.tuple[0]);
  const a = id.map(margin).filter((v): v is number => v !== null);
  const b = ood.map(margin).filter((v): v is number => v !== null);
  if (a.length === 0 || b.length === 0 || permutations < 1) return null;
  const idById = new Map(id.flatMap((r) => (r.id !== undefined && r.tuple !== null ? [[r.id, margin(r) as number] as const] : [])));
  const paired = ood.flatMap((r) => (r.id !== undefined && r.tuple !== null && idById.has(r.id) ? [(margin(r) as number) - (idById.get(r.id) as number)] : []));
  const rng = new Rng(seed);
  return paired.length >= 2 ? signFlipPValue(paired, permutations, rng) : twoSamplePermutationPValue(b, a, permutations, rng);
}

export interface ReviewFile {
  readonly path: string;
  readonly reviews: ScoredReview[];
  /** The judge protocols the reviews name (sorted; `NOT_RECORDED` for reviews without one, e.g. LLaVA's). */
  readonly protocols: string[];
  /** True when the last line was cut off (the judge is still running or was killed). */
  readonly torn: boolean;
}

/** What `protocols` lists for reviews that do not name their judge protocol. */
export const NOT_RECORDED = '(not recorded)';

/** Largest score accepted in a review (the protocol scores 1–10; 100 leaves room for other scales). */
const MAX_SCORE = 100;

/**
 * Reads a reviews JSONL (ours or LLaVA's). Scores come from `tuple` (or LLaVA's older `score`);
 * `tuple: null`, or a pair with a negative value (LLaVA's [-1, -1]), is a failed judgment; a
 * score above MAX_SCORE, or a question_id reviewed twice, is an error naming the line.
 */
export function readReviewFile(path: string): ReviewFile {
  const contents = readJsonl(path);
  const protocols = new Set<string>();
  const seen = new Map<string, number>();
  const reviews = contents.values.map((value, i): ScoredReview => {
    const where = `${path}: line ${contents.lines[i]}`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${where}: expected a review object`);
    const v = value as Record<string, unknown>;
    protocols.add(typeof v.protocol === 'string' && v.protocol !== '' ? v.protocol : NOT_RECORDED);
    if (typeof v.question_id === 'number' || typeof v.question_id === 'string') {
      // A repeated item would be counted twice in every mean and rate.
      const id = String(v.question_id);
      const first = seen.get(id);
      if (first !== undefined) throw new InputError(`${where}: question_id ${id} was already reviewed on line ${first}`);
      seen.set(id, contents.lines[i]);
    }
    const category = v.category === undefined || v.category === null ? undefined : String(v.category);
    const id = typeof v.question_id === 'number' || typeof v.question_id === 'string' ? { id: String(v.question_id) } : {};
    const raw = 'tuple' in v ? v.tuple : v.score;
    if (raw === undefined) throw new InputError(`${where}: no "tuple" (the two scores [reference, model])`);
    if (raw === null) return { ...id, category, tuple: null };
    if (!Array.isArray(raw) || raw.length !== 2 || !raw.every((x) => typeof x === 'number')) {
      throw new InputError(`${where}: "tuple" must be two numbers [reference, model] or null, found ${JSON.stringify(raw)}`);
    }
    const [a, b] = raw as number[];
    if (a > MAX_SCORE || b > MAX_SCORE) {
      throw new InputError(`${where}: "tuple" scores must be at most ${MAX_SCORE} (the judge scores 1–10), found ${JSON.stringify(raw)}`);
    }
    const ok = Number.isFinite(a) && Number.isFinite(b) && a >= 0 && b >= 0;
    return { ...id, category, tuple: ok ? [a, b] : null };
  });
  return { path, reviews, protocols: [...protocols].sort(), torn: contents.torn };
}

function fmt(v: number | null, digits: number): string {
  return v === null ? '—' : v.toFixed(digits);
}

function fmtCI(ci: readonly [number, number] | null): string {
  return ci === null ? '' : ` [${ci[0].toFixed(1)}, ${ci[1].toFixed(1)}]`;
}

/** A plain-text table of a summary, one row per category; `protocols` are named under the title. */
export function formatReviewsSummary(title: string, s: ReviewsSummary, protocols?: readonly string[]): string {
  const ci = s.bootstrap.resamples > 0 ? ` [${Math.round(s.bootstrap.level * 100)}% CI]` : '';
  const header = ['category', 'n', 'failed', 'reference', 'model', `RP${ci}`, 'wins/ties/losses', `win rate %${ci}`, 'LLaVA: RP ref model'];
  const rows = s.categories.map((c) => [
    c.category,
    c.n.toString(),
    c.failed.toString(),
    fmt(c.referenceMean, 3),
    fmt(c.modelMean, 3),
    `${fmt(c.relativeScore, 1)}${fmtCI(c.relativeScoreCI)}`,
    `${c.wins}/${c.ties}/${c.losses}`,
    `${fmt(c.winRate, 1)}${fmtCI(c.winRateCI)}`,
    c.llava ? `${c.llava.relative} ${c.llava.reference} ${c.llava.model}` : '—',
  ]);
  const note = s.bootstrap.resamples > 0 ? ` (RP: bootstrap, ${s.bootstrap.resamples} resamples, seed ${s.bootstrap.seed}; win rate: Wilson, ties count ½)` : '';
  const named = protocols ? `\njudge protocol: ${protocols.join(', ')}` : '';
  return `${title}${note}${named}\n${renderTable(header, rows)}`;
}
