/**
 * The CLUB training backend on onnxruntime-node (MLAS GEMMs, float32 like PyTorch's default):
 * the forward pass, the loss L = mean_i Σ_d [(μ − y)²·e^{−lv} + lv] and its gradients are
 * written out as one explicit ONNX graph (Gemm/MatMul/Tanh/Exp …; backward by hand), with the
 * weights as graph inputs so Adam can update them in JS between steps. Column sums use a
 * ones-row MatMul. Threads are fixed, so the same inputs give the same bits.
 */
import type { ClubBackend, ClubParams, ClubShape } from '../core/estimators/club-train.js';
import { encodeOnnxModel, OnnxDataType as OnnxType, type OnnxNode, type OnnxValueInfo } from '../io/onnx-proto.js';
import { clubForwardNodes } from './club-graph.js';

const PARAMS = ['mu_w1', 'mu_b1', 'mu_w2', 'mu_b2', 'lv_w1', 'lv_b1', 'lv_w2', 'lv_b2'] as const;
const GRADS = PARAMS.map((p) => `g_${p}`);

function paramDims(s: ClubShape): number[][] {
  return [[s.hidden, s.dx], [s.hidden], [s.dy, s.hidden], [s.dy], [s.hidden, s.dx], [s.hidden], [s.dy, s.hidden], [s.dy]];
}

/** The training graph (withGrad) or the loss-only graph. Inputs: x [N, dx], y [N, dy], ones [1, N], c_one, c_inv_n, c_two_inv_n [1], the 8 parameters. */
export function clubTrainOnnxModel(shape: ClubShape, withGrad: boolean): Uint8Array {
  const nodes: OnnxNode[] = clubForwardNodes(shape.boundedLogvar, { mu: 'mu', logvar: 'lv' });
  nodes.push(
    { op: 'Sub', inputs: ['mu', 'y'], outputs: ['diff'] },
    { op: 'Neg', inputs: ['lv'], outputs: ['neg_lv'] },
    { op: 'Exp', inputs: ['neg_lv'], outputs: ['prec'] },
    { op: 'Mul', inputs: ['diff', 'diff'], outputs: ['sq'] },
    { op: 'Mul', inputs: ['sq', 'prec'], outputs: ['tq'] },
    { op: 'Add', inputs: ['tq', 'lv'], outputs: ['elem'] },
    { op: 'MatMul', inputs: ['ones', 'elem'], outputs: ['loss_cols'] },
  );
  if (withGrad) {
    nodes.push(
      // dL/dμ = 2(μ − y)e^{−lv}/N;  dL/dlv = (1 − (μ − y)²e^{−lv})/N  (× (1 − lv²) through a bounding tanh)
      { op: 'Mul', inputs: ['diff', 'prec'], outputs: ['dp'] },
      { op: 'Mul', inputs: ['dp', 'c_two_inv_n'], outputs: ['dmu'] },
      { op: 'Sub', inputs: ['c_one', 'tq'], outputs: ['one_minus_tq'] },
      { op: 'Mul', inputs: ['one_minus_tq', 'c_inv_n'], outputs: shape.boundedLogvar ? ['dlv_out'] : ['dlv'] },
    );
    if (shape.boundedLogvar) {
      nodes.push(
        { op: 'Mul', inputs: ['lv', 'lv'], outputs: ['lv_sq'] },
        { op: 'Sub', inputs: ['c_one', 'lv_sq'], outputs: ['dtanh_lv'] },
        { op: 'Mul', inputs: ['dlv_out', 'dtanh_lv'], outputs: ['dlv'] },
      );
    }
    const head = (d: string, a: string, w2: string, pre: string, gw1: string, gb1: string, gw2: string, gb2: string): OnnxNode[] => [
      { op: 'Gemm', inputs: [d, a], outputs: [gw2], attrs: { transA: { i: 1 } } },
      { op: 'MatMul', inputs: ['ones', d], outputs: [gb2] },
      { op: 'MatMul', inputs: [d, w2], outputs: [`${pre}_da`] },
      { op: 'Mul', inputs: [a, a], outputs: [`${pre}_a_sq`] },
      { op: 'Sub', inputs: ['c_one', `${pre}_a_sq`], outputs: [`${pre}_dtanh`] },
      { op: 'Mul', inputs: [`${pre}_da`, `${pre}_dtanh`], outputs: [`${pre}_dh`] },
      { op: 'Gemm', inputs: [`${pre}_dh`, 'x'], outputs: [gw1], attrs: { transA: { i: 1 } } },
      { op: 'MatMul', inputs: ['ones', `${pre}_dh`], outputs: [gb1] },
    ];
    nodes.push(...head('dmu', 'a1', 'mu_w2', 'mu', 'g_mu_w1', 'g_mu_b1', 'g_mu_w2', 'g_mu_b2'));
    nodes.push(...head('dlv', 'a3', 'lv_w2', 'lv', 'g_lv_w1', 'g_lv_b1', 'g_lv_w2', 'g_lv_b2'));
  }
  const F = OnnxType.FLOAT;
  const dims = paramDims(shape);
  const inputs: OnnxValueInfo[] = [
    { name: 'x', elemType: F, shape: ['N', shape.dx] },
    { name: 'y', elemType: F, shape: ['N', shape.dy] },
    { name: 'ones', elemType: F, shape: [1, 'N'] },
    ...PARAMS.map((name, k) => ({ name, elemType: F, shape: dims[k] })),
  ];
  if (withGrad) inputs.push(...['c_one', 'c_inv_n', 'c_two_inv_n'].map((name) => ({ name, elemType: F, shape: [1] })));
  const outputs: OnnxValueInfo[] = [{ name: 'loss_cols', elemType: F, shape: [1, shape.dy] }];
  if (withGrad) {
    GRADS.forEach((name, k) => outputs.push({ name, elemType: F, shape: dims[k].length === 1 ? [1, dims[k][0]] : dims[k] }));
  }
  return encodeOnnxModel({ name: withGrad ? 'club_train' : 'club_loss', nodes, initializers: [], inputs, outputs });
}

/** A CLUB training backend on onnxruntime (float32). `threads` fixes MLAS's intra-op threads. */
export async function onnxClubBackend(shape: ClubShape, threads = 2): Promise<ClubBackend> {
  const ort = await import('onnxruntime-node');
  const opts = { graphOptimizationLevel: 'all' as const, intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' as const };
  const train = await ort.InferenceSession.create(clubTrainOnnxModel(shape, true), opts);
  const lossOnly = await ort.InferenceSession.create(clubTrainOnnxModel(shape, false), opts);
  const dims = paramDims(shape);
  const feeds = (p: ClubParams, x: Float64Array, y: Float64Array, n: number): Record<string, InstanceType<typeof ort.Tensor>> => {
    const f: Record<string, InstanceType<typeof ort.Tensor>> = {
      x: new ort.Tensor('float32', Float32Array.from(x), [n, shape.dx]),
      y: new ort.Tensor('float32', Float32Array.from(y), [n, shape.dy]),
      ones: new ort.Tensor('float32', new Float32Array(n).fill(1), [1, n]),
    };
    PARAMS.forEach((name, k) => { f[name] = new ort.Tensor('float32', Float32Array.from(p[k]), dims[k]); });
    return f;
  };
  const sum = (a: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i];
    return s;
  };
  return {
    name: `onnxruntime-float32 (${threads} threads)`,
    async lossAndGrad(p, x, y, n) {
      const f = feeds(p, x, y, n);
      f.c_one = new ort.Tensor('float32', new Float32Array([1]), [1]);
      f.c_inv_n = new ort.Tensor('float32', new Float32Array([1 / n]), [1]);
      f.c_two_inv_n = new ort.Tensor('float32', new Float32Array([2 / n]), [1]);
      const out = await train.run(f);
      return { loss: sum(out.loss_cols.data as Float32Array) / n, grads: GRADS.map((g) => out[g].data as Float32Array) };
    },
    async loss(p, x, y, n) {
      const out = await lossOnly.run(feeds(p, x, y, n));
      return sum(out.loss_cols.data as Float32Array) / n;
    },
  };
}
