/**
 * Cross products A·Bᵀ and scatter matrices AᵀA on onnxruntime's MLAS GEMM (float64,
 * multi-threaded), for the Gram and covariance matrices of representation JSD (E10–E11).
 * One session per product serves every shape (symbolic dims).
 * Falls back to the plain-JS kernel (core/linalg.ts) when onnxruntime cannot be loaded or
 * MLLMSHIFT_ACCEL=js.
 */
import { crossProducts, scatter } from '../core/linalg.js';
import type { FloatArray, Matrix } from '../core/matrix.js';
import { encodeOnnxModel, OnnxDataType as OnnxType } from '../io/onnx-proto.js';

export type CrossProductsFn = (a: Matrix, b: Matrix) => Promise<Float64Array>;
/** AᵀA (d×d) of an [n, d] matrix. */
export type ScatterFn = (a: Matrix) => Promise<Float64Array>;

export interface GemmBackend {
  readonly crossProducts: CrossProductsFn;
  readonly scatter: ScatterFn;
  readonly name: 'onnxruntime' | 'js';
}

/**
 * One intra-op thread and no spin-waiting: these products are small (90×90×768 for a
 * LLaVA-Bench set) and run concurrently with the entropy pool's threads, so onnxruntime's
 * default spinning thread pool would only burn the cores the eigen solves need.
 */
export const SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
} as const;

const f64 = (a: FloatArray): Float64Array => (a instanceof Float64Array ? a : Float64Array.from(a));

export async function onnxGemmBackend(): Promise<GemmBackend> {
  const ort = await import('onnxruntime-node');
  const scatterModel = encodeOnnxModel({
    name: 'scatter',
    nodes: [{ op: 'Gemm', inputs: ['a', 'a'], outputs: ['c'], attrs: { transA: { i: 1 } } }],
    initializers: [],
    inputs: [{ name: 'a', elemType: OnnxType.DOUBLE, shape: ['N', 'D'] }],
    outputs: [{ name: 'c', elemType: OnnxType.DOUBLE, shape: ['D', 'D'] }],
  });
  const scatterSession = await ort.InferenceSession.create(scatterModel, SESSION_OPTIONS);
  const model = encodeOnnxModel({
    name: 'cross_products',
    nodes: [{ op: 'Gemm', inputs: ['a', 'b'], outputs: ['c'], attrs: { transB: { i: 1 } } }],
    initializers: [],
    inputs: [
      { name: 'a', elemType: OnnxType.DOUBLE, shape: ['N', 'D'] },
      { name: 'b', elemType: OnnxType.DOUBLE, shape: ['M', 'D'] },
    ],
    outputs: [{ name: 'c', elemType: OnnxType.DOUBLE, shape: ['N', 'M'] }],
  });
  const session = await ort.InferenceSession.create(model, SESSION_OPTIONS);
  return {
    name: 'onnxruntime',
    crossProducts: async (a: Matrix, b: Matrix): Promise<Float64Array> => {
      if (a.cols !== b.cols) throw new RangeError(`crossProducts: ${a.cols} vs ${b.cols} columns`);
      const out = await session.run({
        a: new ort.Tensor('float64', f64(a.data), [a.rows, a.cols]),
        b: new ort.Tensor('float64', f64(b.data), [b.rows, b.cols]),
      });
      return out.c.data as Float64Array;
    },
    scatter: async (a: Matrix): Promise<Float64Array> => {
      const out = await scatterSession.run({ a: new ort.Tensor('float64', f64(a.data), [a.rows, a.cols]) });
      return out.c.data as Float64Array;
    },
  };
}

/** The plain-JS kernels of core/linalg.ts. */
export const jsGemmBackend: GemmBackend = {
  name: 'js',
  crossProducts: async (a, b) => crossProducts(a, b),
  scatter: async (a) => scatter(a),
};

/** onnxruntime when it loads (unless MLLMSHIFT_ACCEL=js), else plain JS: same numbers, slower. */
export async function gemmBackend(): Promise<GemmBackend> {
  if (process.env.MLLMSHIFT_ACCEL !== 'js') {
    try {
      return await onnxGemmBackend();
    } catch {
      // onnxruntime unavailable on this platform.
    }
  }
  return jsGemmBackend;
}
