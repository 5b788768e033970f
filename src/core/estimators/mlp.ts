/**
 * Small dense networks in float64 with hand-written backward passes and Adam, for the
 * estimators that train a network (critics of InfoNCE/NWJ/MINE/SMILE, the JS reference path of
 * CLUB training). Weights use torch's [out, in] layout; initialisation is torch's default for
 * nn.Linear (U(−1/√in, 1/√in) for weights and biases), drawn from a seeded Rng.
 */
import type { Matrix } from '../matrix.js';
import { linear } from '../linalg.js';
import type { Rng } from '../random.js';

export type Activation = 'relu' | 'tanh';

export interface DenseLayer {
  readonly inDim: number;
  readonly outDim: number;
  /** [outDim, inDim] */
  readonly w: Float64Array;
  readonly b: Float64Array;
}

export function denseLayer(inDim: number, outDim: number, rng: Rng): DenseLayer {
  const bound = 1 / Math.sqrt(inDim);
  const w = new Float64Array(outDim * inDim);
  const b = new Float64Array(outDim);
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * bound;
  for (let i = 0; i < b.length; i++) b[i] = (2 * rng.next() - 1) * bound;
  return { inDim, outDim, w, b };
}

/** out[n, m] = a[n, k]·wᵀ + b, with the blocked kernel of core/linalg. */
export function denseForward(a: Float64Array, n: number, layer: DenseLayer): Float64Array {
  return linear({ rows: n, cols: layer.inDim, data: a }, { rows: layer.outDim, cols: layer.inDim, data: layer.w }, layer.b).data;
}

/**
 * Backward through a dense layer: given dOut [n, m] and its input a [n, k], accumulate
 * dW += dOutᵀ·a and db += Σ dOut into `grad`, and return dA = dOut·W (unless `needInput` is false).
 */
export function denseBackward(dOut: Float64Array, a: Float64Array, n: number, layer: DenseLayer, grad: DenseLayer, needInput = true): Float64Array | null {
  const k = layer.inDim;
  const m = layer.outDim;
  const w = layer.w;
  const gw = grad.w;
  const gb = grad.b;
  for (let i = 0; i < n; i++) {
    const ao = i * k;
    for (let h = 0; h < m; h++) {
      const g = dOut[i * m + h];
      if (g === 0) continue;
      gb[h] += g;
      const wo = h * k;
      for (let t = 0; t < k; t++) gw[wo + t] += g * a[ao + t];
    }
  }
  if (!needInput) return null;
  const dA = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    for (let h = 0; h < m; h++) {
      const g = dOut[i * m + h];
      if (g === 0) continue;
      const wo = h * k;
      for (let t = 0; t < k; t++) dA[o + t] += g * w[wo + t];
    }
  }
  return dA;
}

/** A multilayer perceptron: dense layers with `activation` between them, linear output. */
export interface Mlp {
  readonly layers: readonly DenseLayer[];
  readonly activation: Activation;
}

export function mlp(dims: readonly number[], activation: Activation, rng: Rng): Mlp {
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < dims.length; l++) layers.push(denseLayer(dims[l], dims[l + 1], rng));
  return { layers, activation };
}

/** Zero gradients shaped like the network. */
export function zeroGrad(net: Mlp): Mlp {
  return { activation: net.activation, layers: net.layers.map((l) => ({ inDim: l.inDim, outDim: l.outDim, w: new Float64Array(l.w.length), b: new Float64Array(l.b.length) })) };
}

/** Forward pass keeping each layer's input (activations) for the backward pass. */
export function mlpForward(net: Mlp, x: Float64Array, n: number): { out: Float64Array; inputs: Float64Array[] } {
  const inputs: Float64Array[] = [];
  let a = x;
  net.layers.forEach((layer, l) => {
    inputs.push(a);
    const z = denseForward(a, n, layer);
    if (l + 1 < net.layers.length) {
      if (net.activation === 'relu') { for (let i = 0; i < z.length; i++) if (z[i] < 0) z[i] = 0; }
      else for (let i = 0; i < z.length; i++) z[i] = Math.tanh(z[i]);
    }
    a = z;
  });
  return { out: a, inputs };
}

/** Backward pass from dOut; accumulates into `grad`. */
export function mlpBackward(net: Mlp, inputs: readonly Float64Array[], n: number, dOut: Float64Array, grad: Mlp): void {
  let d = dOut;
  for (let l = net.layers.length - 1; l >= 0; l--) {
    const dIn = denseBackward(d, inputs[l], n, net.layers[l], grad.layers[l], l > 0);
    if (l === 0 || !dIn) break;
    // inputs[l] is the activation output of layer l − 1.
    const act = inputs[l];
    if (net.activation === 'relu') { for (let i = 0; i < dIn.length; i++) if (act[i] <= 0) dIn[i] = 0; }
    else for (let i = 0; i < dIn.length; i++) dIn[i] *= 1 - act[i] * act[i];
    d = dIn;
  }
}

/** Adam (Kingma & Ba) over a list of parameter arrays, PyTorch's defaults β = (0.9, 0.999), ε = 1e-8. */
export class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;

  constructor(private readonly params: readonly Float64Array[], private readonly lr: number, private readonly beta1 = 0.9, private readonly beta2 = 0.999, private readonly eps = 1e-8) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  /** One descent step: params −= lr·scale·m̂/(√v̂ + ε), for gradients of a loss to minimise (`scale`: a learning-rate schedule's factor). */
  step(grads: readonly ArrayLike<number>[], scale = 1): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    const { beta1: b1, beta2: b2, eps } = this;
    const lr = this.lr * scale;
    this.params.forEach((p, k) => {
      const g = grads[k];
      const m = this.m[k];
      const v = this.v[k];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    });
  }
}

export function mlpParams(net: Mlp): Float64Array[] {
  return net.layers.flatMap((l) => [l.w, l.b]);
}

/** Rows `idx` of a matrix as a float64 array. */
export function gatherRows(m: Matrix, idx: ArrayLike<number>, start = 0, end = idx.length): Float64Array {
  const d = m.cols;
  const out = new Float64Array((end - start) * d);
  for (let r = start; r < end; r++) {
    const i = idx[r];
    for (let j = 0; j < d; j++) out[(r - start) * d + j] = m.data[i * d + j];
  }
  return out;
}
