/**
 * Representation JSD (E10, core/jsd.ts) for many pairs of embedding matrices: a cache over the
 * core routine.
 * - each distinct matrix is normalised, multiplied and eigen-solved once: matrices are keyed
 *   by a content hash, so in the paper's synthetic grid the 35 OOD sets share 7 distinct image
 *   sets and 5 distinct question sets, and identical ID/OOD matrices cost nothing;
 * - Gram, cross and scatter products come from a GEMM backend (onnxruntime MLAS when available);
 * - entropies from an EntropyFn (in-thread or the worker pool).
 */
import { createHash } from 'node:crypto';
import { jsdFromEntropies, mixtureMatrix, RepresentationSet, selfMatrix, type JsdMixture } from '../core/jsd.js';
import type { Matrix } from '../core/matrix.js';
import { jsGemmBackend, type GemmBackend } from '../accel/cross-products.js';
import { inThreadEntropy, type EntropyFn } from '../accel/entropy-pool.js';

interface Entry {
  readonly key: string;
  readonly set: RepresentationSet;
  gram?: Promise<void>;
  scatter?: Promise<void>;
  entropy?: Promise<number>;
}

export class JsdEngine {
  private readonly entries = new Map<string, Entry>();
  private readonly pairs = new Map<string, Promise<number>>();
  private readonly keys = new WeakMap<Matrix, string>();

  constructor(
    private readonly mixture: JsdMixture,
    private readonly gemm: GemmBackend = jsGemmBackend,
    private readonly entropy: EntropyFn = inThreadEntropy,
  ) {}

  private entry(m: Matrix): Entry {
    let key = this.keys.get(m);
    if (key === undefined) {
      const h = createHash('sha256');
      h.update(`${m.rows}x${m.cols}:${m.data instanceof Float64Array ? 'f64' : 'f32'}:`);
      h.update(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength));
      key = h.digest('hex');
      this.keys.set(m, key);
    }
    let e = this.entries.get(key);
    if (!e) {
      e = { key, set: new RepresentationSet(m) };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Products from the GEMM backend, once per distinct matrix (promises are cached, so concurrent callers share the work). */
  private products(e: Entry, route: 'gram' | 'scatter'): Promise<void> {
    const rows = e.set.rows;
    if (route === 'gram') e.gram ??= this.gemm.crossProducts(rows, rows).then((g) => e.set.useGram(g));
    else e.scatter ??= this.gemm.scatter(rows).then((c) => e.set.useScatter(c));
    return (route === 'gram' ? e.gram : e.scatter) as Promise<void>;
  }

  /** S of the set's own covariance (E9), once per distinct matrix. */
  private selfEntropy(e: Entry): Promise<number> {
    e.entropy ??= this.products(e, e.set.selfRoute).then(() => {
      const m = selfMatrix(e.set);
      return this.entropy(m.data, m.n);
    });
    return e.entropy;
  }

  /** JSD(A ‖ B) under the engine's mixture weights. Symmetric; cached per pair of contents. */
  jsd(a: Matrix, b: Matrix): Promise<number> {
    if (a.cols !== b.cols) return Promise.reject(new RangeError(`jsd: dimensions differ (${a.cols} vs ${b.cols})`));
    const ea = this.entry(a);
    const eb = this.entry(b);
    if (ea.key === eb.key) return Promise.resolve(0);
    const pairKey = ea.key < eb.key ? `${ea.key}|${eb.key}` : `${eb.key}|${ea.key}`;
    let value = this.pairs.get(pairKey);
    if (!value) {
      value = this.compute(ea, eb);
      this.pairs.set(pairKey, value);
    }
    return value;
  }

  private async compute(ea: Entry, eb: Entry): Promise<number> {
    const route = ea.set.n + eb.set.n <= ea.set.d ? 'gram' : 'scatter';
    const [, , crossBA] = await Promise.all([
      this.products(ea, route),
      this.products(eb, route),
      route === 'gram' ? this.gemm.crossProducts(eb.set.rows, ea.set.rows) : undefined,
    ]);
    const mix = mixtureMatrix(ea.set, eb.set, { mixture: this.mixture, crossBA });
    const [sMix, sa, sb] = await Promise.all([this.entropy(mix.data, mix.n), this.selfEntropy(ea), this.selfEntropy(eb)]);
    return jsdFromEntropies(sMix, sa, sb);
  }
}
