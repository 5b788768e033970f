/**
 * The CLUB network forward pass on onnxruntime's CPU kernels (MLAS GEMM, multi-threaded), in
 * float64 so results match the plain-JS reference (core/club.ts) to rounding. The graph is
 * built in memory from the network's weights; nothing is downloaded or written to disk.
 * Falls back to the plain-JS forward if onnxruntime cannot be loaded.
 */
import { clubForward, type ClubMoments, type ClubNetwork } from '../core/club.js';
import type { FloatArray, Matrix } from '../core/matrix.js';
import { encodeOnnxModel, OnnxDataType as OnnxType, type OnnxInitializer } from '../io/onnx-proto.js';
import { clubForwardNodes } from './club-graph.js';

export type MomentsFn = (x: Matrix) => Promise<ClubMoments>;

const f64 = (a: FloatArray): Float64Array => (a instanceof Float64Array ? a : Float64Array.from(a));

/** The ONNX graph of the CLUB network: x [N, dx] → mu [N, dy], logvar [N, dy]. */
export function clubOnnxModel(net: ClubNetwork): Uint8Array {
  const inits: OnnxInitializer[] = [
    { name: 'mu_w1', dims: [net.muW1.rows, net.muW1.cols], data: f64(net.muW1.data) },
    { name: 'mu_b1', dims: [net.muB1.length], data: f64(net.muB1) },
    { name: 'mu_w2', dims: [net.muW2.rows, net.muW2.cols], data: f64(net.muW2.data) },
    { name: 'mu_b2', dims: [net.muB2.length], data: f64(net.muB2) },
    { name: 'lv_w1', dims: [net.lvW1.rows, net.lvW1.cols], data: f64(net.lvW1.data) },
    { name: 'lv_b1', dims: [net.lvB1.length], data: f64(net.lvB1) },
    { name: 'lv_w2', dims: [net.lvW2.rows, net.lvW2.cols], data: f64(net.lvW2.data) },
    { name: 'lv_b2', dims: [net.lvB2.length], data: f64(net.lvB2) },
  ];
  const nodes = clubForwardNodes(net.boundedLogvar, { mu: 'mu', logvar: 'logvar' });
  const dy = net.muW2.rows;
  return encodeOnnxModel({
    name: 'club',
    nodes,
    initializers: inits,
    inputs: [{ name: 'x', elemType: OnnxType.DOUBLE, shape: ['N', net.muW1.cols] }],
    outputs: [
      { name: 'mu', elemType: OnnxType.DOUBLE, shape: ['N', dy] },
      { name: 'logvar', elemType: OnnxType.DOUBLE, shape: ['N', dy] },
    ],
  });
}

/** Forward on onnxruntime (one session per network). */
export async function onnxClubMomentsFn(net: ClubNetwork): Promise<MomentsFn> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(clubOnnxModel(net), { graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } } });
  return async (x: Matrix): Promise<ClubMoments> => {
    const input = new ort.Tensor('float64', f64(x.data), [x.rows, x.cols]);
    const out = await session.run({ x: input });
    const dy = net.muW2.rows;
    return {
      mu: { rows: x.rows, cols: dy, data: out.mu.data as Float64Array },
      logvar: { rows: x.rows, cols: dy, data: out.logvar.data as Float64Array },
    };
  };
}

/**
 * The fastest available forward: onnxruntime when it loads, else plain JS. Set
 * MLLMSHIFT_ACCEL=js to force the plain-JS path.
 */
export async function clubMomentsFn(net: ClubNetwork): Promise<MomentsFn> {
  if (process.env.MLLMSHIFT_ACCEL !== 'js') {
    try {
      return await onnxClubMomentsFn(net);
    } catch {
      // onnxruntime unavailable on this platform: the JS forward gives identical results, slower.
    }
  }
  return async (x: Matrix) => clubForward(net, x);
}
