/**
 * Representation JSD (E10) for many pairs of embedding matrices, fast:
 * - Gram blocks (E11) from a GEMM backend (onnxruntime MLAS when available);
 * - each distinct matrix is normalised, multiplied and eigen-solved once: matrices are keyed
 *   by a content hash, so in the paper's synthetic grid the 35 OOD sets share 7 distinct image
 *   sets and 5 distinct question sets, and identical ID/OOD matrices cost nothing;
 * - pairs with n_A + n_B > d use the d×d covariances AᵀA (also from the GEMM backend).
 */
import { createHash } from 'node:crypto';
import { gramEntropy, jsdFromGramBlocks, vonNeumannEntropy, type JsdMixture } from '../core/jsd.js';
import { symmetricEigenvalues } from '../core/eigen.js';
import { normalizeRows, type Matrix } from '../core/matrix.js';
import { jsGemmBackend, type GemmBackend } from '../accel/cross-products.js';

interface Entry {
  readonly key: string;
  readonly rows: Matrix<Float64Array>;
  gram?: Float64Array;
  gramEntropy?: number;
  scatter?: Float64Array;
  scatterEntropy?: number;
}

export class JsdEngine {
  private readonly entries = new Map<string, Entry>();
  private readonly pairs = new Map<string, number>();
  private readonly keys = new WeakMap<Matrix, string>();

  constructor(
    private readonly mixture: JsdMixture,
    private readonly gemm: GemmBackend = jsGemmBackend,
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

  private async selfGram(e: Entry): Promise<{ gram: Float64Array; entropy: number }> {
    if (!e.gram) {
      e.gram = await this.gemm.crossProducts(e.rows, e.rows);
      e.gramEntropy = gramEntropy(e.gram, e.rows.rows);
    }
    return { gram: e.gram, entropy: e.gramEntropy as number };
  }

  private async selfScatter(e: Entry): Promise<{ scatter: Float64Array; entropy: number }> {
    if (!e.scatter) {
      const d = e.rows.cols;
      e.scatter = await this.gemm.scatter(e.rows);
      e.scatterEntropy = vonNeumannEntropy(symmetricEigenvalues(e.scatter, d));
    }
    return { scatter: e.scatter, entropy: e.scatterEntropy as number };
  }

  /** JSD(A ‖ B) under the engine's mixture weights. Symmetric; cached per pair of contents. */
  async jsd(a: Matrix, b: Matrix): Promise<number> {
    if (a.cols !== b.cols) throw new RangeError(`jsd: dimensions differ (${a.cols} vs ${b.cols})`);
    const ea = this.entry(a);
    const eb = this.entry(b);
    if (ea.key === eb.key) return 0;
    const pairKey = ea.key < eb.key ? `${ea.key}|${eb.key}` : `${eb.key}|${ea.key}`;
    const cached = this.pairs.get(pairKey);
    if (cached !== undefined) return cached;
    let value: number;
    if (ea.rows.rows + eb.rows.rows <= a.cols) {
      const [ga, gb] = [await this.selfGram(ea), await this.selfGram(eb)];
      const gba = await this.gemm.crossProducts(eb.rows, ea.rows);
      value = jsdFromGramBlocks(ga.gram, gb.gram, gba, ea.rows.rows, eb.rows.rows, ga.entropy, gb.entropy, this.mixture);
    } else {
      // (E10) on the d×d covariances: mixture w_A·AᵀA + w_B·BᵀB.
      const [ca, cb] = [await this.selfScatter(ea), await this.selfScatter(eb)];
      const wa = this.mixture === 'equal' ? 1 / ea.rows.rows : 1;
      const wb = this.mixture === 'equal' ? 1 / eb.rows.rows : 1;
      const mix = new Float64Array(ca.scatter.length);
      for (let k = 0; k < mix.length; k++) mix[k] = wa * ca.scatter[k] + wb * cb.scatter[k];
      value = vonNeumannEntropy(symmetricEigenvalues(mix, a.cols)) - 0.5 * (ca.entropy + cb.entropy);
    }
    this.pairs.set(pairKey, value);
    return value;
  }
}
