/**
 * The paper's quantities for one traffic window W against the reference set R, when only some
 * rows have a reference answer Y (the rest have the deployed model's answer Ŷ only):
 *
 * - EMI(S) (E1, E8) = CLUB(x_S, ŷ_S) − CLUB(x_S', y_S'), S' = the referenced rows of S: each MI
 *   term is estimated on every row for which it is defined (the CLUB estimate is a mean over
 *   rows, so the two terms may use different rows);
 * - EMID (E2) = EMI(R) − EMI(W);
 * - J_v, J_t (E10) on all rows of R and W; J_P = JSD(ŷ ‖ y) on R's referenced rows, J_Q on W's;
 * - the bound (E3).
 *
 * Intervals: the Bayesian bootstrap of the rows of R and W (core/bootstrap-emi.ts, as `emid
 * --bootstrap` does), percentile 95 %. The null: pseudo-windows of W's size (and W's number of
 * referenced rows) drawn from reference-period rows that are not in R — what each quantity is
 * for a window with no shift at all (the per-window null baseline), and the spread the alert
 * rule compares against (alerts.ts).
 */
import { clubFromMomentsWeighted, dirichletWeights, jsdGrams, weightedJsd } from '../core/bootstrap-emi.js';
import { percentileInterval } from '../core/bootstrap.js';
import type { ClubMoments } from '../core/club.js';
import { emidUpperBound, type BoundForm, type JsdTerms } from '../core/emi.js';
import { representationJsd, representationJsdPrepared, RepresentationSet, type JsdMixture } from '../core/jsd.js';
import { takeRows, type Matrix } from '../core/matrix.js';
import { Rng } from '../core/random.js';

/** Embedded rows of a window or of the reference. `y` rows of unreferenced rows are ignored. */
export interface EmbeddedRows {
  readonly xv: Matrix;
  readonly xt: Matrix;
  readonly yHat: Matrix;
  readonly y: Matrix;
  /** 1 where the row has a reference answer. */
  readonly referenced: Uint8Array;
  /** q(·|x) moments of x = (z_v + z_t)/2 (E6) under the CLUB network. */
  readonly moments: ClubMoments;
}

export interface StatOptions {
  readonly mixture: JsdMixture;
  readonly bound: BoundForm;
  readonly entropyScaler: number;
}

export interface WindowStatistics {
  readonly emi: number;
  readonly emid: number;
  readonly jsd: JsdTerms;
  readonly bound: number;
}

export type Interval = readonly [number, number];

export interface WindowIntervals {
  readonly emi: Interval;
  readonly emid: Interval;
  readonly bound: Interval;
  readonly visual: Interval;
  readonly text: Interval;
  readonly oodOutput: Interval;
}

/** Mean and standard deviation of a quantity over the null pseudo-windows. */
export interface NullMoments {
  readonly mean: number;
  readonly sd: number;
}

export interface NullCalibration {
  /** Pseudo-windows drawn. */
  readonly windows: number;
  readonly size: number;
  readonly referenced: number;
  readonly emi: NullMoments;
  readonly emid: NullMoments;
  readonly bound: NullMoments;
  readonly visual: NullMoments;
  readonly text: NullMoments;
  readonly oodOutput: NullMoments;
}

export function referencedIndices(rows: EmbeddedRows): Int32Array {
  const out: number[] = [];
  rows.referenced.forEach((r, i) => { if (r) out.push(i); });
  return Int32Array.from(out);
}

/** EMI with row weights w (all 1 by default): the y term uses the referenced rows only. */
export function emiOf(rows: EmbeddedRows, w?: ArrayLike<number>): number {
  const n = rows.xv.rows;
  const wm = w ?? new Float64Array(n).fill(1);
  const wy = new Float64Array(n);
  for (let i = 0; i < n; i++) wy[i] = rows.referenced[i] ? wm[i] : 0;
  return clubFromMomentsWeighted(rows.moments, rows.yHat, wm) - clubFromMomentsWeighted(rows.moments, rows.y, wy);
}

/** The reference set prepared once: its representation sets (E11 Gram matrices), EMI and J_P. */
export interface PreparedReference {
  readonly rows: EmbeddedRows;
  readonly visual: RepresentationSet;
  readonly text: RepresentationSet;
  readonly emi: number;
  readonly idOutput: number;
}

export function prepareReference(rows: EmbeddedRows, opts: StatOptions): PreparedReference {
  const idx = referencedIndices(rows);
  if (idx.length < 2) throw new RangeError(`the reference set has ${idx.length} rows with a reference answer; at least 2 are needed (J_P, EMI)`);
  return {
    rows,
    visual: new RepresentationSet(rows.xv),
    text: new RepresentationSet(rows.xt),
    emi: emiOf(rows),
    idOutput: representationJsd(takeRows(rows.yHat, idx), takeRows(rows.y, idx), opts.mixture),
  };
}

/** EMI, EMID, the four JSD terms and the bound of window `w` (at least 2 referenced rows). */
export function windowStatistics(ref: PreparedReference, w: EmbeddedRows, opts: StatOptions): WindowStatistics {
  const idx = referencedIndices(w);
  if (idx.length < 2) throw new RangeError(`window has ${idx.length} rows with a reference answer; at least 2 are needed (J_Q, EMI)`);
  const emi = emiOf(w);
  const jsd: JsdTerms = {
    visual: representationJsdPrepared(ref.visual, new RepresentationSet(w.xv), opts.mixture),
    text: representationJsdPrepared(ref.text, new RepresentationSet(w.xt), opts.mixture),
    idOutput: ref.idOutput,
    oodOutput: representationJsd(takeRows(w.yHat, idx), takeRows(w.y, idx), opts.mixture),
  };
  return { emi, emid: ref.emi - emi, jsd, bound: emidUpperBound(jsd, opts.bound, opts.entropyScaler) };
}

const pick = (w: Float64Array, idx: Int32Array): Float64Array => Float64Array.from(idx, (i) => w[i]);

/** Bayesian-bootstrap 95 % intervals of every quantity of `windowStatistics` (B replicates). */
export function windowIntervals(ref: PreparedReference, w: EmbeddedRows, opts: StatOptions, replicates: number, seed: number): WindowIntervals {
  const rng = new Rng(seed);
  const ri = referencedIndices(ref.rows);
  const wi = referencedIndices(w);
  const gv = jsdGrams(ref.rows.xv, w.xv);
  const gt = jsdGrams(ref.rows.xt, w.xt);
  const gp = jsdGrams(takeRows(ref.rows.yHat, ri), takeRows(ref.rows.y, ri));
  const gq = jsdGrams(takeRows(w.yHat, wi), takeRows(w.y, wi));
  const r = { emi: new Float64Array(replicates), emid: new Float64Array(replicates), bound: new Float64Array(replicates), visual: new Float64Array(replicates), text: new Float64Array(replicates), oodOutput: new Float64Array(replicates) };
  for (let b = 0; b < replicates; b++) {
    const wr = dirichletWeights(rng, ref.rows.xv.rows);
    const ww = dirichletWeights(rng, w.xv.rows);
    const emiR = emiOf(ref.rows, wr);
    const emiW = emiOf(w, ww);
    const wrRef = pick(wr, ri);
    const wwRef = pick(ww, wi);
    const jsd: JsdTerms = {
      visual: weightedJsd(gv, wr, ww, opts.mixture),
      text: weightedJsd(gt, wr, ww, opts.mixture),
      idOutput: weightedJsd(gp, wrRef, wrRef, opts.mixture),
      oodOutput: weightedJsd(gq, wwRef, wwRef, opts.mixture),
    };
    r.emi[b] = emiW;
    r.emid[b] = emiR - emiW;
    r.visual[b] = jsd.visual;
    r.text[b] = jsd.text;
    r.oodOutput[b] = jsd.oodOutput;
    r.bound[b] = emidUpperBound(jsd, opts.bound, opts.entropyScaler);
  }
  return {
    emi: percentileInterval(r.emi), emid: percentileInterval(r.emid), bound: percentileInterval(r.bound),
    visual: percentileInterval(r.visual), text: percentileInterval(r.text), oodOutput: percentileInterval(r.oodOutput),
  };
}

/** Rows `idx` of every matrix of `rows`, with the referenced mask given per picked row. */
export function subsetRows(rows: EmbeddedRows, idx: ArrayLike<number>, referenced: Uint8Array): EmbeddedRows {
  const m = rows.moments;
  return {
    xv: takeRows(rows.xv, idx), xt: takeRows(rows.xt, idx), yHat: takeRows(rows.yHat, idx), y: takeRows(rows.y, idx),
    referenced,
    moments: { mu: takeRows(m.mu, idx), logvar: takeRows(m.logvar, idx) },
  };
}

function moments(values: Float64Array): NullMoments {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0 };
}

/**
 * The null calibration for windows of `size` rows of which `referenced` have Y: `count`
 * pseudo-windows drawn from `pool` (reference-period rows not in R) — `referenced` rows among
 * the pool's referenced rows, the rest among all remaining rows (their Y unused) — each
 * compared with R exactly like a real window.
 */
export function nullCalibration(ref: PreparedReference, pool: EmbeddedRows, size: number, referenced: number, count: number, seed: number, opts: StatOptions): NullCalibration {
  const poolRef = referencedIndices(pool);
  if (poolRef.length < referenced) throw new RangeError(`the null calibration needs ${referenced} referenced rows outside the reference set, the reference period has ${poolRef.length}`);
  if (pool.xv.rows < size) throw new RangeError(`the null calibration needs ${size} rows outside the reference set, the reference period has ${pool.xv.rows}`);
  const rng = new Rng(seed);
  const out = { emi: new Float64Array(count), emid: new Float64Array(count), bound: new Float64Array(count), visual: new Float64Array(count), text: new Float64Array(count), oodOutput: new Float64Array(count) };
  for (let c = 0; c < count; c++) {
    const firstRef = rng.permutation(poolRef.length).subarray(0, referenced);
    const chosen = new Set<number>(Array.from(firstRef, (k) => poolRef[k]));
    const rest = rng.permutation(pool.xv.rows);
    for (let k = 0; k < rest.length && chosen.size < size; k++) chosen.add(rest[k]);
    const idx = [...chosen];
    const mask = new Uint8Array(size);
    for (let k = 0; k < referenced; k++) mask[k] = 1;
    const s = windowStatistics(ref, subsetRows(pool, idx, mask), opts);
    out.emi[c] = s.emi;
    out.emid[c] = s.emid;
    out.bound[c] = s.bound;
    out.visual[c] = s.jsd.visual;
    out.text[c] = s.jsd.text;
    out.oodOutput[c] = s.jsd.oodOutput;
  }
  return {
    windows: count, size, referenced,
    emi: moments(out.emi), emid: moments(out.emid), bound: moments(out.bound),
    visual: moments(out.visual), text: moments(out.text), oodOutput: moments(out.oodOutput),
  };
}
