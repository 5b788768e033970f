/**
 * The samples of a finished run, for "why it hurts" and the explorer (`serve`): each sample
 * of each scenario with its question as shifted, image, model answer, reference, judge scores
 * and review, read from the run store (run.sqlite) and the run's review files; and the
 * per-sample drop from the ID set to a shifted one:
 * - with judge scores: the model's score on the ID sample minus its score on the shifted one;
 * - without: the sample's leave-one-out contribution to EMID, i.e. how much EMI(ID) − EMI(OOD)
 *   falls when the sample is left out of both sets (E8 with a zero row weight, E2).
 * Sample ids match across scenarios (the shift stage keeps them).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { clubForward, clubFromMoments, halfPrecisions } from '../core/club.js';
import type { ClubNetwork } from '../core/club.js';
import { queryEmbedding } from '../core/emi.js';
import { readEmbeddingSet } from '../io/embedding-set.js';
import { loadClubCheckpoint } from '../io/estimator-checkpoint.js';
import { readJsonl } from '../llm/jsonl-log.js';
import { InputError } from '../errors.js';
import { RunStore, type StoredSample } from './run-store.js';

export interface RunSample extends StoredSample {
  /** The judge's explanation (its reply after the score line), when it ran. */
  readonly review: string | null;
}

export interface RunSamples {
  readonly runDir: string;
  /** scenario → sample id → sample. */
  readonly byScenario: ReadonlyMap<string, ReadonlyMap<string, RunSample>>;
}

/** The run folder's store file; an InputError naming the folder when there is none. */
export function runStorePath(runDir: string): string {
  const path = join(runDir, 'run.sqlite');
  if (!existsSync(path)) throw new InputError(`${runDir}: not a run folder (no run.sqlite; expected the output folder of \`mllmshift run\` or the run/ folder of \`mllmshift demo\`)`);
  return path;
}

interface ReviewLine { question_id?: unknown; tuple?: unknown; content?: unknown }

/** Scores and text of a review file, by sample id (later lines win, as a resumed judge appends). */
function reviewsOf(path: string): Map<string, { reference: number | null; model: number | null; content: string | null }> {
  const out = new Map<string, { reference: number | null; model: number | null; content: string | null }>();
  for (const v of readJsonl(path).values as ReviewLine[]) {
    if (v === null || typeof v !== 'object' || v.question_id === undefined) continue;
    const t = Array.isArray(v.tuple) && v.tuple.length === 2 && v.tuple.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v.tuple as [number, number]) : null;
    out.set(String(v.question_id), { reference: t ? t[0] : null, model: t ? t[1] : null, content: typeof v.content === 'string' ? v.content : null });
  }
  return out;
}

/** Read every sample of the run in `runDir` (read-only). */
export function readRunSamples(runDir: string): RunSamples {
  const store = new RunStore(runStorePath(runDir), { readOnly: true });
  let rows: StoredSample[];
  try {
    rows = store.samples();
  } finally {
    store.close();
  }
  const byScenario = new Map<string, Map<string, RunSample>>();
  const reviews = new Map<string, ReturnType<typeof reviewsOf>>();
  for (const r of rows) {
    let rv = reviews.get(r.scenario);
    if (!rv) {
      rv = reviewsOf(join(runDir, 'reviews', `${r.scenario}.jsonl`));
      reviews.set(r.scenario, rv);
    }
    const review = rv.get(r.id);
    const sample: RunSample = review
      ? { ...r, referenceScore: review.reference, modelScore: review.model, review: review.content }
      : { ...r, review: null };
    const m = byScenario.get(r.scenario) ?? new Map<string, RunSample>();
    m.set(r.id, sample);
    byScenario.set(r.scenario, m);
  }
  return { runDir, byScenario };
}

/** What a drop is measured in. */
export type DropKind = 'judge' | 'emid-contribution';

export interface SampleDrop {
  readonly id: string;
  /** Positive: the sample got worse under the shift. */
  readonly drop: number;
}

/**
 * Leave-one-out contribution of each row to EMI (E8): EMI(all rows) − EMI(all but row i),
 * from row weights (all 1, row i 0), so E7 is computed by clubFromMoments alone.
 */
export function emiLeaveOneOut(net: ClubNetwork, xv: Parameters<typeof queryEmbedding>[0], xt: Parameters<typeof queryEmbedding>[1], yHat: Parameters<typeof clubFromMoments>[1], y: Parameters<typeof clubFromMoments>[1]): Float64Array {
  const moments = clubForward(net, queryEmbedding(xv, xt));
  const prec = halfPrecisions(moments);
  const emi = (w?: Float64Array): number => clubFromMoments(moments, yHat, prec, w) - clubFromMoments(moments, y, prec, w);
  const all = emi();
  const n = y.rows;
  const out = new Float64Array(n);
  const w = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    w[i] = 0;
    out[i] = all - emi(w);
    w[i] = 1;
  }
  return out;
}

/** Judge-score drops (ID − shifted model score) of the samples judged in both sets, largest first; [] when none. */
export function judgeDrops(samples: RunSamples, idScenario: string, scenario: string): SampleDrop[] {
  const id = samples.byScenario.get(idScenario);
  const ood = samples.byScenario.get(scenario);
  if (!id || !ood) return [];
  const judged = [...ood.values()].filter((s) => s.modelScore !== null && id.get(s.id)?.modelScore != null);
  return judged.map((s) => ({ id: s.id, drop: (id.get(s.id)!.modelScore as number) - (s.modelScore as number) })).sort(byDrop);
}

function byDrop(a: SampleDrop, b: SampleDrop): number {
  return b.drop - a.drop || a.id.localeCompare(b.id);
}

/** Leave-one-out contributions to EMI of each sample of a scenario's embedding set, by sample id (empty when the set or estimator is missing). */
export function emiContributions(runDir: string, scenario: string, net: ClubNetwork | null): Map<string, number> {
  const path = join(runDir, 'embeddings', `${scenario}.safetensors`);
  if (!net || !existsSync(path)) return new Map();
  const set = readEmbeddingSet(path);
  const loo = emiLeaveOneOut(net, set.xv, set.xt, set.yHat, set.y);
  return new Map((set.sampleIds ?? []).map((sid, i) => [sid, loo[i]]));
}

/** The estimator network of a run (null when its checkpoint is gone). */
export function runEstimator(path: string | null): ClubNetwork | null {
  return path && existsSync(path) ? loadClubCheckpoint(path).network : null;
}

/**
 * Contributions to EMID = EMI(ID) − EMI(OOD): leaving sample i out of both sets changes EMID
 * by a_i − b_i (a, b: its leave-one-out contributions to the two EMIs); largest first.
 */
export function emidContributionDrops(idContrib: ReadonlyMap<string, number>, oodContrib: ReadonlyMap<string, number>): SampleDrop[] {
  return [...oodContrib].flatMap(([sid, v]) => (idContrib.has(sid) ? [{ id: sid, drop: (idContrib.get(sid) as number) - v }] : [])).sort(byDrop);
}

/**
 * Per-sample drops from the ID set to `scenario`, largest first. Judge scores when both sets
 * have them; otherwise leave-one-out contributions to EMID from the run's embedding sets and
 * `estimator` (null when neither is available).
 */
export function sampleDrops(samples: RunSamples, idScenario: string, scenario: string, estimator: string | null): { kind: DropKind; drops: SampleDrop[] } | null {
  if (!samples.byScenario.has(idScenario) || !samples.byScenario.has(scenario)) return null;
  const judged = judgeDrops(samples, idScenario, scenario);
  if (judged.length > 0) return { kind: 'judge', drops: judged };
  const net = runEstimator(estimator);
  const a = emiContributions(samples.runDir, idScenario, net);
  const b = emiContributions(samples.runDir, scenario, net);
  if (a.size === 0 || b.size === 0) return null;
  return { kind: 'emid-contribution', drops: emidContributionDrops(a, b) };
}
