/**
 * Representation JSD (E10) for many pairs of embedding matrices, fast:
 * - Gram blocks (E11) from a GEMM backend (onnxruntime MLAS when available);
 * - each distinct matrix is normalised, multiplied and eigen-solved once: matrices are keyed
 *   by a content hash, so in the paper's synthetic grid the 35 OOD sets share 7 distinct image
 *   sets and 5 distinct question sets, and identical ID/OOD matrices cost nothing;
 * - pairs with n_A + n_B > d use the d×d covariances AᵀA (also from the GEMM backend).
 */
import { createHash } from 'node:crypto';
import { mixtureGram, type JsdMixture } from '../core/jsd.js';
import { normalizeRows, type Matrix } from '../core/matrix.js';
import { jsGemmBackend, type GemmBackend } from '../accel/cross-products.js';
import { inThreadEntropy, type EntropyFn } from '../accel/entropy-pool.js';

interface SelfProducts {
  /** Gram matrix AAᵀ (n×n) or covariance AᵀA (d×d). */
  readonly matrix: Float64Array;
  readonly entropy: number;
}

interface Entry {
  readonly key: string;
  readonly rows: Matrix<Float64Array>;
  gram?: Promise<SelfProducts>;
  scatter?: Promise<SelfProducts>;
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
      e = { key, rows: normalizeRows(m) };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Self products and their entropy, computed once per distinct matrix (promises are cached, so concurrent callers share the work). */
  private selfGram(e: Entry): Promise<SelfProducts> {
    e.gram ??= (async () => {
      const matrix = await this.gemm.crossProducts(e.rows, e.rows);
      return { matrix, entropy: await this.entropy(matrix.slice(), e.rows.rows) };
    })();
    return e.gram;
  }

  private selfScatter(e: Entry): Promise<SelfProducts> {
    e.scatter ??= (async () => {
      const matrix = await this.gemm.scatter(e.rows);
      return { matrix, entropy: await this.entropy(matrix.slice(), e.rows.cols) };
    })();
    return e.scatter;
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
    const na = ea.rows.rows;
    const nb = eb.rows.rows;
    const d = ea.rows.cols;
    const wa = this.mixture === 'equal' ? 1 / na : 1;
    const wb = this.mixture === 'equal' ? 1 / nb : 1;
    if (na + nb <= d) {
      // (E11) Gram route: the stacked, weighted Gram matrix of [A; B].
      const [ga, gb, gba] = await Promise.all([this.selfGram(ea), this.selfGram(eb), this.gemm.crossProducts(eb.rows, ea.rows)]);
      const mix = mixtureGram(ga.matrix, gb.matrix, gba, na, nb, wa, wb);
      return (await this.entropy(mix, na + nb)) - 0.5 * (ga.entropy + gb.entropy);
    }
    // (E10) covariance route: w_A·AᵀA + w_B·BᵀB (d×d).
    const [ca, cb] = await Promise.all([this.selfScatter(ea), this.selfScatter(eb)]);
    const mix = new Float64Array(ca.matrix.length);
    for (let k = 0; k < mix.length; k++) mix[k] = wa * ca.matrix[k] + wb * cb.matrix[k];
    return (await this.entropy(mix, d)) - 0.5 * (ca.entropy + cb.entropy);
  }
}
