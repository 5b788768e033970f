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
import { clubForward, clubFromRowTerms, clubFromSums, clubRowTerms, clubSums, clubSumsComplement, halfPrecisions, type ClubMoments, type ClubNetwork, type ClubRowTerms } from '../core/club.js';
import { emidUpperBound, queryEmbedding, type BoundForm } from '../core/emi.js';
import { jsdFromEntropies, representationJsdPrepared, RepresentationSet, type JsdMixture } from '../core/jsd.js';
import { crossProducts } from '../core/linalg.js';
import type { Matrix } from '../core/matrix.js';
import { Rng } from '../core/random.js';
import type { EmbeddingSet } from '../io/embedding-set.js';
import { InThreadJsdRunner, type JsdJob, type JsdRunner } from '../accel/jsd-jobs.js';
import { Progress } from '../encode/progress.js';
import { jsGemmBackend, type GemmBackend } from '../accel/cross-products.js';
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
  /** Where the JSD terms' eigenproblems run (default: this thread; an EntropyPool uses every core). */
  readonly runner?: JsdRunner;
  /** Gram and cross products of the JSD terms' sets (default: plain JS). */
  readonly gemm?: GemmBackend;
  /** Progress bars with ETA on stderr (default: off), labelled `${progressPrefix}bootstrap` and `…permutations`. */
  readonly progress?: boolean;
  readonly progressPrefix?: string;
}

/** Bootstrap replicates whose entropy jobs are queued at once (bounds memory, keeps workers fed). */
const REPLICATES_IN_FLIGHT = 3;

interface Prepared {
  readonly set: EmbeddingSet;
  readonly moments: ClubMoments;
  /** The weight-free parts of E7 for Ŷ and Y (computed once, reused by every replicate). */
  readonly yHat: ClubRowTerms;
  readonly y: ClubRowTerms;
  readonly n: number;
}

function prepareTerms(set: EmbeddingSet, m: ClubMoments, n: number): Prepared {
  const precisions = halfPrecisions(m);
  const yHat = clubRowTerms(m, set.yHat, precisions);
  return { set, moments: m, yHat, y: clubRowTerms(m, set.y, precisions, yHat.muPrecisions), n };
}

async function prepare(set: EmbeddingSet, moments: MomentsFn): Promise<Prepared> {
  return prepareTerms(set, await moments(queryEmbedding(set.xv, set.xt)), set.xv.rows);
}

/** (E2) EMI with row weights (E7). */
function weightedEmi(p: Prepared, w: ArrayLike<number>): number {
  return clubFromRowTerms(p.yHat, w) - clubFromRowTerms(p.y, w);
}

/** A pair of sets prepared once for repeated weighted JSDs in this thread (the monitor's windows): normalised rows, Gram blocks, cross products. */
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

/**
 * The JSD terms' sets and cross products, registered once with the runner (every replicate
 * reuses them: a replicate only reweights rows). Sets are keyed by object, so a matrix shared
 * by several OOD sets is registered once.
 */
class JsdTerms {
  private readonly sets = new Map<Matrix, { id: number; set: RepresentationSet }>();
  private readonly crosses = new Map<string, number>();

  private constructor(private readonly runner: JsdRunner, private readonly mixture: JsdMixture) {}

  /** Registers the sets and, for pairs on the Gram route (n_A + n_B ≤ d), their cross products, from the GEMM backend. */
  static async register(runner: JsdRunner, mixture: JsdMixture, gemm: GemmBackend, pairs: readonly (readonly [Matrix, Matrix])[]): Promise<JsdTerms> {
    const t = new JsdTerms(runner, mixture);
    for (const [a, b] of pairs) {
      for (const m of [a, b]) {
        if (t.sets.has(m)) continue;
        const set = new RepresentationSet(m);
        if (set.selfRoute === 'gram') set.useGram(await gemm.crossProducts(set.rows, set.rows));
        t.sets.set(m, { id: runner.addSet(set), set });
      }
      const sa = t.sets.get(a)!;
      const sb = t.sets.get(b)!;
      const key = `${sa.id}|${sb.id}`;
      if (t.crosses.has(key)) continue;
      t.crosses.set(key, sa.set.n + sb.set.n <= sa.set.d ? runner.addCross(await gemm.crossProducts(sb.set.rows, sa.set.rows)) : -1);
    }
    return t;
  }

  private id(m: Matrix): number {
    const e = this.sets.get(m);
    if (!e) throw new Error('JsdTerms: set not registered');
    return e.id;
  }

  /** S of the (weighted) set. */
  self(m: Matrix, w: Float64Array): JsdJob {
    return { kind: 'self', set: this.id(m), w };
  }

  /** S of the (weighted) mixture of A and B (a registered pair). */
  mixtureOf(a: Matrix, b: Matrix, wA: Float64Array, wB: Float64Array): JsdJob {
    const ia = this.id(a);
    const ib = this.id(b);
    const cross = this.crosses.get(`${ia}|${ib}`);
    if (cross === undefined) throw new Error('JsdTerms: pair not registered');
    return { kind: 'mixture', a: ia, b: ib, cross, mixture: this.mixture, wA, wB };
  }
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
    const runner = options.runner ?? new InThreadJsdRunner();
    const pairs = [[id.yHat, id.y] as const, ...oods.flatMap((s) => [[id.xv, s.xv], [id.xt, s.xt], [s.yHat, s.y]] as const)];
    const terms = await JsdTerms.register(runner, mixture, options.gemm ?? jsGemmBackend, pairs);
    const k = oods.length;
    const idReps = new Float64Array(B);
    const reps = Array.from({ length: k }, () => ({ emi: new Float64Array(B), emid: new Float64Array(B), bound: new Float64Array(B), v: new Float64Array(B), t: new Float64Array(B), p: new Float64Array(B), q: new Float64Array(B) }));
    const progress = new Progress(`${options.progressPrefix ?? ''}bootstrap`, B, { enabled: options.progress ?? false, unit: 'replicates' });
    // A few replicates in flight keep every worker busy while this thread draws the next
    // weights and builds its jobs; values land by index, so the order of completion is irrelevant.
    const inFlight = new Set<Promise<void>>();
    for (let b = 0; b < B; b++) {
      const wId = dirichletWeights(rng, pid.n);
      const emiId = weightedEmi(pid, wId);
      idReps[b] = emiId;
      // (E10) Each term is S(mixture) − ½(S(A) + S(B)); the ID sets' own entropies are shared by every OOD set.
      const jobs: JsdJob[] = [terms.self(id.xv, wId), terms.self(id.xt, wId), terms.mixtureOf(id.yHat, id.y, wId, wId), terms.self(id.yHat, wId), terms.self(id.y, wId)];
      po.forEach((p, o) => {
        const w = dirichletWeights(rng, p.n);
        const r = reps[o];
        r.emi[b] = weightedEmi(p, w);
        r.emid[b] = emiId - r.emi[b];
        const s = p.set;
        jobs.push(terms.mixtureOf(id.xv, s.xv, wId, w), terms.self(s.xv, w), terms.mixtureOf(id.xt, s.xt, wId, w), terms.self(s.xt, w), terms.mixtureOf(s.yHat, s.y, w, w), terms.self(s.yHat, w), terms.self(s.y, w));
      });
      const done = runner.run(jobs).then((e) => {
        const jP = jsdFromEntropies(e[2], e[3], e[4]);
        po.forEach((_, o) => {
          const r = reps[o];
          const x = 5 + 7 * o;
          r.v[b] = jsdFromEntropies(e[x], e[0], e[x + 1]);
          r.t[b] = jsdFromEntropies(e[x + 2], e[1], e[x + 3]);
          r.p[b] = jP;
          r.q[b] = jsdFromEntropies(e[x + 4], e[x + 5], e[x + 6]);
          r.bound[b] = emidUpperBound({ visual: r.v[b], text: r.t[b], idOutput: jP, oodOutput: r.q[b] }, form, scaler);
        });
        progress.tick();
      });
      inFlight.add(done);
      void done.then(() => inFlight.delete(done), () => undefined);
      if (inFlight.size >= REPLICATES_IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    progress.finish();
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
  const permBar = new Progress(`${options.progressPrefix ?? ''}permutations`, P > 0 ? po.length : 0, { enabled: (options.progress ?? false) && P > 0, unit: 'OOD sets' });
  po.forEach((p) => {
    let pValue: number | null = null;
    if (P > 0) {
      const rng = new Rng((seed ^ 0x68e31da4) >>> 0);
      const observed = weightedEmi(pid, ones(pid.n)) - weightedEmi(p, ones(p.n));
      pValue = permutationPValue(observed, emidPermutations(pid, p, P, rng));
      permBar.tick();
    }
    const prev = result.get(p.set.name);
    result.set(p.set.name, { emi: prev?.emi ?? null, emid: prev?.emid ?? null, bound: prev?.bound ?? null, jsd: prev?.jsd ?? null, emidPValue: pValue });
  });
  permBar.finish();
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
  const pooled = prepareTerms({ ...a.set, yHat: cat(a.set.yHat, b.set.yHat), y: cat(a.set.y, b.set.y) }, { mu: cat(a.moments.mu, b.moments.mu), logvar: cat(a.moments.logvar, b.moments.logvar) }, n);
  const out = new Float64Array(P);
  // Set B is the complement of set A, so its sums are the pooled sums minus A's.
  const allHat = clubSums(pooled.yHat);
  const allY = clubSums(pooled.y);
  const wA = new Float64Array(n);
  for (let k = 0; k < P; k++) {
    const perm = rng.permutation(n);
    wA.fill(0);
    for (let i = 0; i < a.n; i++) wA[perm[i]] = 1;
    const hatA = clubSums(pooled.yHat, wA);
    const yA = clubSums(pooled.y, wA);
    const emiA = clubFromSums(hatA) - clubFromSums(yA);
    const emiB = clubFromSums(clubSumsComplement(allHat, hatA)) - clubFromSums(clubSumsComplement(allY, yA));
    out[k] = emiA - emiB;
  }
  return out;
}
