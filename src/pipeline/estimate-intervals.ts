/**
 * Uncertainty for the paper's quantities (E2, E3, E8, E10): Bayesian-bootstrap 95 % intervals
 * (row weights, see core/bootstrap-emi.ts) for EMI, EMID, each JSD term and the bound, and a
 * permutation p-value for EMID ≠ 0 (rows of the ID and OOD sets pooled and their set
 * membership shuffled). The network is fixed: intervals describe sampling variability of the
 * rows given the estimator, not the estimator's training.
 *
 * The JSD terms are finite-sample statistics with a large positive bias when n < d (two
 * halves of one distribution already give JSD ≈ 0.6 at n = 100, d = 768), so their intervals
 * cover the expected value of the statistic at this n, not the population JSD; read them next
 * to the null baseline.
 */
import { dirichletWeights } from '../core/bootstrap-emi.js';
import { percentileInterval, permutationPValue } from '../core/bootstrap.js';
import { clubForward, clubFromMoments, halfPrecisions, type ClubMoments, type ClubNetwork } from '../core/club.js';
import { emidUpperBound, queryEmbedding, type BoundForm } from '../core/emi.js';
import { representationJsdPrepared, RepresentationSet, type JsdMixture } from '../core/jsd.js';
import { crossProducts } from '../core/linalg.js';
import type { Matrix } from '../core/matrix.js';
import { Rng } from '../core/random.js';
import type { EmbeddingSet } from '../io/embedding-set.js';
import type { MomentsFn } from './estimate.js';

export type Interval = readonly [number, number];

export const INTERVAL_METHOD = 'bayesian-bootstrap-rows';

export interface UncertaintyOptions {
  /** Bootstrap replicates (0: no intervals). */
  readonly bootstrap: number;
  /** Permutations for the EMID p-value (0: none). */
  readonly permutations?: number;
  readonly seed?: number;
  readonly jsdMixture?: JsdMixture;
  readonly bound?: BoundForm;
  readonly entropyScaler?: number;
  readonly moments?: MomentsFn;
}

interface Prepared {
  readonly set: EmbeddingSet;
  readonly moments: ClubMoments;
  readonly precisions: Float64Array;
  readonly n: number;
}

async function prepare(set: EmbeddingSet, moments: MomentsFn): Promise<Prepared> {
  const m = await moments(queryEmbedding(set.xv, set.xt));
  return { set, moments: m, precisions: halfPrecisions(m), n: set.xv.rows };
}

/** (E2) EMI with row weights (E7). */
function weightedEmi(p: Prepared, w: ArrayLike<number>): number {
  return clubFromMoments(p.moments, p.set.yHat, p.precisions, w) - clubFromMoments(p.moments, p.set.y, p.precisions, w);
}

/** A pair of sets prepared once for every replicate: normalised rows, Gram blocks, cross products. */
export interface JsdPair {
  readonly a: RepresentationSet;
  readonly b: RepresentationSet;
  readonly crossBA?: Float64Array;
}

export function jsdPair(a: Matrix, b: Matrix): JsdPair {
  const pa = new RepresentationSet(a);
  const pb = new RepresentationSet(b);
  return { a: pa, b: pb, crossBA: pa.n + pb.n <= pa.d ? crossProducts(pb.rows, pa.rows) : undefined };
}

export function pairJsd(p: JsdPair, weightsA: ArrayLike<number>, weightsB: ArrayLike<number>, mixture: JsdMixture): number {
  return representationJsdPrepared(p.a, p.b, { mixture, weightsA, weightsB, crossBA: p.crossBA });
}

/** 95 % interval of EMI for each set (independent replicates per set). */
export async function emiIntervals(sets: readonly EmbeddingSet[], net: ClubNetwork, options: UncertaintyOptions): Promise<Map<string, Interval>> {
  const moments = options.moments ?? ((x: Matrix) => clubForward(net, x));
  const out = new Map<string, Interval>();
  const rng = new Rng(options.seed ?? 0);
  for (const s of sets) {
    const p = await prepare(s, moments);
    const reps = new Float64Array(options.bootstrap);
    for (let b = 0; b < options.bootstrap; b++) reps[b] = weightedEmi(p, dirichletWeights(rng, p.n));
    out.set(s.name, percentileInterval(reps));
  }
  return out;
}

export interface JsdIntervals {
  readonly visual: Interval;
  readonly text: Interval;
  readonly idOutput: Interval;
  readonly oodOutput: Interval;
}

export interface OodUncertainty {
  readonly emi: Interval | null;
  readonly emid: Interval | null;
  readonly bound: Interval | null;
  readonly jsd: JsdIntervals | null;
  /** Two-sided permutation p-value of EMID ≠ 0, null without permutations. */
  readonly emidPValue: number | null;
}

export interface EmidUncertainty {
  readonly method: typeof INTERVAL_METHOD;
  readonly bootstrap: number;
  readonly permutations: number;
  readonly seed: number;
  readonly idEmi: Interval | null;
  readonly ood: ReadonlyMap<string, OodUncertainty>;
}

/** Intervals for every quantity of `analyseEmid` and the permutation p-values. */
export async function emidUncertainty(id: EmbeddingSet, oods: readonly EmbeddingSet[], net: ClubNetwork, options: UncertaintyOptions): Promise<EmidUncertainty> {
  const B = options.bootstrap;
  const P = options.permutations ?? 0;
  const seed = options.seed ?? 0;
  const mixture = options.jsdMixture ?? 'equal';
  const form = options.bound ?? 'scale-adjusted';
  const scaler = options.entropyScaler ?? 1;
  const moments = options.moments ?? ((x: Matrix) => clubForward(net, x));
  const pid = await prepare(id, moments);
  const po = await Promise.all(oods.map((s) => prepare(s, moments)));
  const ones = (n: number): Float64Array => new Float64Array(n).fill(1);

  const result = new Map<string, OodUncertainty>();
  let idEmi: Interval | null = null;
  if (B > 0) {
    const rng = new Rng(seed);
    const gP = jsdPair(id.yHat, id.y);
    const grams = oods.map((s): [JsdPair, JsdPair, JsdPair] => [jsdPair(id.xv, s.xv), jsdPair(id.xt, s.xt), jsdPair(s.yHat, s.y)]);
    const k = oods.length;
    const idReps = new Float64Array(B);
    const reps = Array.from({ length: k }, () => ({ emi: new Float64Array(B), emid: new Float64Array(B), bound: new Float64Array(B), v: new Float64Array(B), t: new Float64Array(B), p: new Float64Array(B), q: new Float64Array(B) }));
    for (let b = 0; b < B; b++) {
      const wId = dirichletWeights(rng, pid.n);
      const emiId = weightedEmi(pid, wId);
      idReps[b] = emiId;
      const jP = pairJsd(gP, wId, wId, mixture);
      po.forEach((p, o) => {
        const w = dirichletWeights(rng, p.n);
        const r = reps[o];
        r.emi[b] = weightedEmi(p, w);
        r.emid[b] = emiId - r.emi[b];
        r.v[b] = pairJsd(grams[o][0], wId, w, mixture);
        r.t[b] = pairJsd(grams[o][1], wId, w, mixture);
        r.p[b] = jP;
        r.q[b] = pairJsd(grams[o][2], w, w, mixture);
        r.bound[b] = emidUpperBound({ visual: r.v[b], text: r.t[b], idOutput: jP, oodOutput: r.q[b] }, form, scaler);
      });
    }
    idEmi = percentileInterval(idReps);
    po.forEach((p, o) => {
      const r = reps[o];
      result.set(p.set.name, {
        emi: percentileInterval(r.emi),
        emid: percentileInterval(r.emid),
        bound: percentileInterval(r.bound),
        jsd: { visual: percentileInterval(r.v), text: percentileInterval(r.t), idOutput: percentileInterval(r.p), oodOutput: percentileInterval(r.q) },
        emidPValue: null,
      });
    });
  }
  po.forEach((p) => {
    let pValue: number | null = null;
    if (P > 0) {
      const rng = new Rng((seed ^ 0x68e31da4) >>> 0);
      const observed = weightedEmi(pid, ones(pid.n)) - weightedEmi(p, ones(p.n));
      pValue = permutationPValue(observed, emidPermutations(pid, p, P, rng));
    }
    const prev = result.get(p.set.name);
    result.set(p.set.name, { emi: prev?.emi ?? null, emid: prev?.emid ?? null, bound: prev?.bound ?? null, jsd: prev?.jsd ?? null, emidPValue: pValue });
  });
  return { method: INTERVAL_METHOD, bootstrap: B, permutations: P, seed, idEmi, ood: result };
}

/** EMID under P random reassignments of the pooled rows to sets of the original sizes. */
function emidPermutations(a: Prepared, b: Prepared, P: number, rng: Rng): Float64Array {
  const n = a.n + b.n;
  const d = a.set.y.cols;
  const cat = (x: Matrix, y: Matrix): Matrix<Float64Array> => {
    const data = new Float64Array(n * d);
    data.set(x.data);
    data.set(y.data, a.n * d);
    return { rows: n, cols: d, data };
  };
  const pooled: Prepared = {
    set: { ...a.set, yHat: cat(a.set.yHat, b.set.yHat), y: cat(a.set.y, b.set.y) },
    moments: { mu: cat(a.moments.mu, b.moments.mu), logvar: cat(a.moments.logvar, b.moments.logvar) },
    precisions: cat({ rows: a.n, cols: d, data: a.precisions }, { rows: b.n, cols: d, data: b.precisions }).data,
    n,
  };
  const out = new Float64Array(P);
  const wA = new Float64Array(n);
  const wB = new Float64Array(n);
  for (let k = 0; k < P; k++) {
    const perm = rng.permutation(n);
    wA.fill(0);
    wB.fill(1);
    for (let i = 0; i < a.n; i++) {
      wA[perm[i]] = 1;
      wB[perm[i]] = 0;
    }
    out[k] = weightedEmi(pooled, wA) - weightedEmi(pooled, wB);
  }
  return out;
}
