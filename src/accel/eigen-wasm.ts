/**
 * The symmetric eigenvalue solver of wasm/eigen.c (WebAssembly with SIMD: Householder
 * tridiagonalisation with the rank-2 update fused into the next symmetric product, then
 * root-free QL as LAPACK's dsterf), several times faster than core/eigen.ts and the same
 * eigenvalues to rounding. The .wasm is committed (our own code, built by wasm/build.sh), so
 * installing needs no compiler. Instantiated synchronously once per thread. When this Node
 * cannot run it, or MLLMSHIFT_ACCEL=js, the fast entry points use core/eigen.ts.
 */
import { readFileSync } from 'node:fs';
import { symmetricEigenvalues } from '../core/eigen.js';
import { vonNeumannEntropy } from '../core/jsd.js';

interface Exports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  eigvalsh(a: number, n: number, out: number, work: number): number;
}

export const EIGEN_WASM_URL = new URL('../../wasm/eigen.wasm', import.meta.url);

let instance: Exports | null | undefined;

function wasm(): Exports | null {
  if (instance === undefined) {
    try {
      const module = new WebAssembly.Module(readFileSync(EIGEN_WASM_URL));
      instance = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
    } catch {
      instance = null;
    }
  }
  return instance;
}

/** Whether the WebAssembly solver runs in this thread. */
export function wasmEigenAvailable(): boolean {
  return wasm() !== null;
}

/**
 * Eigenvalues (unordered) of the row-major symmetric n×n matrix `a` (lower triangle read; `a`
 * is not modified), by the WebAssembly solver.
 */
export function wasmSymmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new RangeError(`symmetricEigenvalues: expected ${n * n} values, got ${a.length}`);
  const w = wasm();
  if (!w) throw new Error('symmetricEigenvalues: this Node cannot run WebAssembly SIMD');
  const base = Math.ceil((w.__heap_base.value as number) / 16) * 16;
  const words = n * n + 6 * n;
  const need = base + words * 8 - w.memory.buffer.byteLength;
  if (need > 0) w.memory.grow(Math.ceil(need / 65536));
  new Float64Array(w.memory.buffer, base, n * n).set(a);
  const out = base + n * n * 8;
  if (w.eigvalsh(base, n, out, out + n * 8) !== 0) throw new Error('symmetricEigenvalues: QL iteration did not converge');
  return new Float64Array(w.memory.buffer, out, n).slice();
}

const useWasm = (): boolean => process.env.MLLMSHIFT_ACCEL !== 'js' && wasmEigenAvailable();

/** The fastest solver this thread has: WebAssembly, else core/eigen.ts. */
export function fastSymmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  return useWasm() ? wasmSymmetricEigenvalues(a, n) : symmetricEigenvalues(a, n);
}

/** (E9) Entropy of the n×n symmetric matrix on the fastest solver. */
export function fastMatrixEntropy(a: Float64Array, n: number): number {
  return vonNeumannEntropy(fastSymmetricEigenvalues(a, n));
}
