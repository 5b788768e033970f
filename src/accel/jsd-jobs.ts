/**
 * Entropy jobs of the representation JSD (E9–E11) over sets registered once: a bootstrap or
 * permutation replicate only reweights rows, so the normalised rows, Gram matrices and cross
 * products are sent to each thread once and a job carries just the row weights. The same
 * executor runs in this thread or in the entropy pool's workers (accel/entropy-pool.ts), so
 * the values are the same bits wherever a job runs.
 */
import { mixtureMatrix, RepresentationSet, selfMatrix, type JsdMixture } from '../core/jsd.js';
import { fastMatrixEntropy } from './eigen-wasm.js';

/** A registered set as it travels to a worker (buffers may be shared). */
export interface SetData {
  readonly rows: Float64Array;
  readonly n: number;
  readonly d: number;
  /** n×n Gram matrix when n ≤ d, else null. */
  readonly gram: Float64Array | null;
}

/** S of one set's weighted covariance, or of the mixture of two (weights default to 1). */
export type JsdJob =
  | { readonly kind: 'self'; readonly set: number; readonly w?: Float64Array }
  | { readonly kind: 'mixture'; readonly a: number; readonly b: number; readonly cross: number; readonly mixture: JsdMixture; readonly wA?: Float64Array; readonly wB?: Float64Array };

export function setData(s: RepresentationSet, share: boolean): SetData {
  const copy = (a: Float64Array): Float64Array => {
    if (!share) return a;
    const out = new Float64Array(new SharedArrayBuffer(a.byteLength));
    out.set(a);
    return out;
  };
  return { rows: copy(s.rows.data), n: s.n, d: s.d, gram: s.selfRoute === 'gram' ? copy(s.gram()) : null };
}

/** The sets and cross products a thread knows, and the job executor. */
export class JsdRegistry {
  private readonly sets = new Map<number, RepresentationSet>();
  private readonly crosses = new Map<number, Float64Array>();

  addSet(id: number, data: SetData): void {
    const s = new RepresentationSet({ rows: data.n, cols: data.d, data: data.rows }, true);
    if (data.gram) s.useGram(data.gram);
    this.sets.set(id, s);
  }

  addCross(id: number, cross: Float64Array): void {
    this.crosses.set(id, cross);
  }

  private set(id: number): RepresentationSet {
    const s = this.sets.get(id);
    if (!s) throw new Error(`jsd job: unknown set ${id}`);
    return s;
  }

  /** (E9) The entropy the job asks for. */
  run(job: JsdJob): number {
    const m = job.kind === 'self'
      ? selfMatrix(this.set(job.set), job.w)
      : mixtureMatrix(this.set(job.a), this.set(job.b), { mixture: job.mixture, weightsA: job.wA, weightsB: job.wB, crossBA: job.cross >= 0 ? this.crosses.get(job.cross) : undefined });
    return fastMatrixEntropy(m.data, m.n);
  }
}

/** Where jobs run: this thread, or the entropy pool. */
export interface JsdRunner {
  /** Registers a set (rows normalised) and returns its id. */
  addSet(s: RepresentationSet): number;
  /** Registers cross products B·Aᵀ and returns their id. */
  addCross(cross: Float64Array): number;
  /** The entropies of the jobs, in order. */
  run(jobs: readonly JsdJob[]): Promise<Float64Array>;
}

export class InThreadJsdRunner implements JsdRunner {
  private readonly registry = new JsdRegistry();
  private next = 0;

  addSet(s: RepresentationSet): number {
    const id = this.next++;
    this.registry.addSet(id, setData(s, false));
    return id;
  }

  addCross(cross: Float64Array): number {
    const id = this.next++;
    this.registry.addCross(id, cross);
    return id;
  }

  async run(jobs: readonly JsdJob[]): Promise<Float64Array> {
    return Float64Array.from(jobs, (j) => this.registry.run(j));
  }
}
