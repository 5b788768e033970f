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
 * --bootstrap` does), percentile 95 %. The null: a permutation test of R against W — what each
 * quantity is for a window with no shift at all (the per-window null baseline: the JSD terms
 * are far from 0 at these sizes, DESIGN.md §2), and the spread the alert rule compares
 * against (alerts.ts).
 */
import { dirichletWeights } from '../core/bootstrap-emi.js';
import { percentileInterval } from '../core/bootstrap.js';
import { clubFromMoments, halfPrecisions, type ClubMoments } from '../core/club.js';
import { emidUpperBound, type BoundForm, type JsdTerms } from '../core/emi.js';
import { representationJsd, representationJsdPrepared, RepresentationSet, type JsdMixture } from '../core/jsd.js';
import { normalizeRows, takeRows, type Matrix } from '../core/matrix.js';
import { gram } from '../core/linalg.js';
import { Rng } from '../core/random.js';
import { jsdPair, pairJsd } from '../pipeline/estimate-intervals.js';

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

/** Mean and standard deviation of a quantity over the null's permutations. */
export interface NullMoments {
  readonly mean: number;
  readonly sd: number;
}

export interface NullCalibration {
  /** Permutations drawn. */
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
  const wy = new Float64Array(n);
  for (let i = 0; i < n; i++) wy[i] = rows.referenced[i] ? (w ? w[i] : 1) : 0;
  const p = halfPrecisions(rows.moments);
  return clubFromMoments(rows.moments, rows.yHat, p, w) - clubFromMoments(rows.moments, rows.y, p, wy);
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
    visual: representationJsdPrepared(ref.visual, new RepresentationSet(w.xv), { mixture: opts.mixture }),
    text: representationJsdPrepared(ref.text, new RepresentationSet(w.xt), { mixture: opts.mixture }),
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
  const gv = jsdPair(ref.rows.xv, w.xv);
  const gt = jsdPair(ref.rows.xt, w.xt);
  const gp = jsdPair(takeRows(ref.rows.yHat, ri), takeRows(ref.rows.y, ri));
  const gq = jsdPair(takeRows(w.yHat, wi), takeRows(w.y, wi));
  const r = { emi: new Float64Array(replicates), emid: new Float64Array(replicates), bound: new Float64Array(replicates), visual: new Float64Array(replicates), text: new Float64Array(replicates), oodOutput: new Float64Array(replicates) };
  for (let b = 0; b < replicates; b++) {
    const wr = dirichletWeights(rng, ref.rows.xv.rows);
    const ww = dirichletWeights(rng, w.xv.rows);
    const emiR = emiOf(ref.rows, wr);
    const emiW = emiOf(w, ww);
    const wrRef = pick(wr, ri);
    const wwRef = pick(ww, wi);
    const jsd: JsdTerms = {
      visual: pairJsd(gv, wr, ww, opts.mixture),
      text: pairJsd(gt, wr, ww, opts.mixture),
      idOutput: pairJsd(gp, wrRef, wrRef, opts.mixture),
      oodOutput: pairJsd(gq, wwRef, wwRef, opts.mixture),
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

/** Normalised rows of a matrix and their Gram matrix, from which any subset's sets are cut without new products. */
export interface PooledRows {
  readonly rows: Matrix<Float64Array>;
  readonly gram: Float64Array;
}

function cat(a: Matrix, b: Matrix): Matrix<Float64Array> {
  const data = new Float64Array((a.rows + b.rows) * a.cols);
  data.set(a.data);
  data.set(b.data, a.rows * a.cols);
  return { rows: a.rows + b.rows, cols: a.cols, data };
}

export function pooled(a: Matrix, b: Matrix): PooledRows {
  const rows = normalizeRows(cat(a, b));
  return { rows, gram: gram(rows) };
}

/** The block G[ri, ci] of an n×n matrix. */
function block(g: Float64Array, n: number, ri: ArrayLike<number>, ci: ArrayLike<number>): Float64Array {
  const out = new Float64Array(ri.length * ci.length);
  for (let i = 0; i < ri.length; i++) for (let j = 0; j < ci.length; j++) out[i * ci.length + j] = g[ri[i] * n + ci[j]];
  return out;
}

/** JSD between the pooled rows `ia` and `ib` (E10–E11), reusing the pooled Gram matrix. */
export function subsetJsd(p: PooledRows, ia: ArrayLike<number>, ib: ArrayLike<number>, mixture: JsdMixture): number {
  const n = p.rows.rows;
  const make = (idx: ArrayLike<number>): RepresentationSet => {
    const s = new RepresentationSet(takeRows(p.rows, idx), true);
    if (s.selfRoute === 'gram') s.useGram(block(p.gram, n, idx, idx));
    return s;
  };
  const a = make(ia);
  const b = make(ib);
  return representationJsdPrepared(a, b, { mixture, crossBA: a.n + b.n <= a.d ? block(p.gram, n, ib, ia) : undefined });
}

/**
 * The per-window null (a permutation test): R's and W's rows are pooled and, `count` times,
 * split at random into sets of R's and W's sizes (each row keeps its reference answer, if
 * any); every quantity is recomputed on each split. Under H0 — W's requests come from the
 * reference distribution — the rows are exchangeable and W's observed values are one more
 * draw of this distribution. The terms that depend on R alone (EMI(R), J_P) are the same
 * constants for every window of the run and are held at R's values: each statistic is then
 * a fixed function of the split, so the test stays exact, and R's own sampling noise (which
 * no window can change) does not widen the null. Gram matrices are computed once for the
 * pooled rows (E11).
 */
export function permutationNull(ref: PreparedReference, w: EmbeddedRows, count: number, seed: number, opts: StatOptions): NullCalibration {
  const r = ref.rows;
  const nr = r.xv.rows;
  const nw = w.xv.rows;
  const n = nr + nw;
  const referenced = new Uint8Array(n);
  referenced.set(r.referenced);
  referenced.set(w.referenced, nr);
  const pv = pooled(r.xv, w.xv);
  const pt = pooled(r.xt, w.xt);
  // ŷ and y of every row stacked as one pool [ŷ rows; y rows], so J_P and J_Q of any split are cut from one Gram matrix.
  const py = pooled(cat(r.yHat, w.yHat), cat(r.y, w.y));
  const all: EmbeddedRows = { xv: pv.rows, xt: pt.rows, yHat: cat(r.yHat, w.yHat), y: cat(r.y, w.y), referenced, moments: { mu: cat(r.moments.mu, w.moments.mu), logvar: cat(r.moments.logvar, w.moments.logvar) } };
  const rng = new Rng(seed);
  const out = { emi: new Float64Array(count), emid: new Float64Array(count), bound: new Float64Array(count), visual: new Float64Array(count), text: new Float64Array(count), oodOutput: new Float64Array(count) };
  const wb = new Float64Array(n);
  for (let c = 0; c < count; c++) {
    let perm: Int32Array;
    let ia: Int32Array;
    let ib: Int32Array;
    // W's side needs two referenced rows (J_Q); redraw the rare split that has fewer.
    for (let tries = 0; ; tries++) {
      perm = rng.permutation(n);
      ia = perm.subarray(0, nr);
      ib = perm.subarray(nr);
      const refs = (idx: Int32Array): number => idx.reduce((s, i) => s + referenced[i], 0);
      if (refs(ib) >= 2 || tries > 100) break;
    }
    const refB = ib!.filter((i) => referenced[i] === 1);
    wb.fill(0);
    for (const i of ib!) wb[i] = 1;
    const emiB = emiOf(all, wb);
    const jsd: JsdTerms = {
      visual: subsetJsd(pv, ia!, ib!, opts.mixture),
      text: subsetJsd(pt, ia!, ib!, opts.mixture),
      idOutput: ref.idOutput,
      oodOutput: subsetJsd(py, refB, refB.map((i) => i + n), opts.mixture),
    };
    out.emi[c] = emiB;
    out.emid[c] = ref.emi - emiB;
    out.visual[c] = jsd.visual;
    out.text[c] = jsd.text;
    out.oodOutput[c] = jsd.oodOutput;
    out.bound[c] = emidUpperBound(jsd, opts.bound, opts.entropyScaler);
  }
  return {
    windows: count, size: nw, referenced: w.referenced.reduce((s, v) => s + v, 0),
    emi: moments(out.emi), emid: moments(out.emid), bound: moments(out.bound),
    visual: moments(out.visual), text: moments(out.text), oodOutput: moments(out.oodOutput),
  };
}
