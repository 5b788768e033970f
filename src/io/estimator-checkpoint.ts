/**
 * CLUB estimator checkpoints: the authors' PyTorch file (`CLUB_global.pt`) or safetensors with
 * the same tensor names (`p_mu.0.weight` …) and metadata (`estimator` = "club",
 * `bounded_logvar` = "true"|"false", training config). Shapes are validated against each other.
 */
import { extname } from 'node:path';
import { InputError } from '../errors.js';
import type { ClubNetwork } from '../core/club.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { readTorchStateDict } from './torch-checkpoint.js';
import { firstNonFinite } from '../core/matrix.js';

const NAMES = ['p_mu.0.weight', 'p_mu.0.bias', 'p_mu.2.weight', 'p_mu.2.bias', 'p_logvar.0.weight', 'p_logvar.0.bias', 'p_logvar.2.weight', 'p_logvar.2.bias'] as const;

interface RawTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

export interface ClubCheckpoint {
  readonly network: ClubNetwork;
  readonly metadata: Readonly<Record<string, string>>;
  readonly path: string;
}

function toNetwork(path: string, get: (name: string) => RawTensor | undefined, boundedLogvar: boolean): ClubNetwork {
  const t: Record<string, RawTensor> = {};
  for (const name of NAMES) {
    const v = get(name);
    if (!v) throw new InputError(`${path}: not a CLUB estimator checkpoint: missing tensor "${name}"`);
    const bad = firstNonFinite(v.data);
    if (bad >= 0) throw new InputError(`${path}: tensor "${name}" has a non-finite value at flat index ${bad}`);
    t[name] = v;
  }
  const w = (name: string): { rows: number; cols: number; data: Float32Array | Float64Array } => {
    const v = t[name];
    if (v.shape.length !== 2) throw new InputError(`${path}: tensor "${name}" must be 2-D [out, in], found [${v.shape.join(', ')}]`);
    return { rows: v.shape[0], cols: v.shape[1], data: v.data };
  };
  const b = (name: string, len: number): Float32Array | Float64Array => {
    const v = t[name];
    if (v.shape.length !== 1 || v.shape[0] !== len) throw new InputError(`${path}: tensor "${name}" must have shape [${len}], found [${v.shape.join(', ')}]`);
    return v.data;
  };
  const muW1 = w('p_mu.0.weight');
  const muW2 = w('p_mu.2.weight');
  const lvW1 = w('p_logvar.0.weight');
  const lvW2 = w('p_logvar.2.weight');
  const expect = (ok: boolean, what: string): void => { if (!ok) throw new InputError(`${path}: inconsistent CLUB shapes: ${what}`); };
  expect(muW2.cols === muW1.rows, `p_mu.2.weight has ${muW2.cols} inputs, p_mu.0.weight has ${muW1.rows} outputs`);
  expect(lvW2.cols === lvW1.rows, `p_logvar.2.weight has ${lvW2.cols} inputs, p_logvar.0.weight has ${lvW1.rows} outputs`);
  expect(lvW1.cols === muW1.cols, `p_logvar.0.weight takes ${lvW1.cols} inputs, p_mu.0.weight takes ${muW1.cols}`);
  expect(lvW2.rows === muW2.rows, `p_logvar.2.weight gives ${lvW2.rows} outputs, p_mu.2.weight gives ${muW2.rows}`);
  return {
    muW1, muB1: b('p_mu.0.bias', muW1.rows), muW2, muB2: b('p_mu.2.bias', muW2.rows),
    lvW1, lvB1: b('p_logvar.0.bias', lvW1.rows), lvW2, lvB2: b('p_logvar.2.bias', lvW2.rows),
    boundedLogvar,
  };
}

/** Load a CLUB estimator from `.pt` (restricted unpickler) or `.safetensors`. */
export function loadClubCheckpoint(path: string): ClubCheckpoint {
  const ext = extname(path).toLowerCase();
  if (ext === '.safetensors') {
    const { header, tensors } = readSafetensors(path);
    const kind = header.metadata.estimator;
    if (kind !== undefined && kind !== 'club') throw new InputError(`${path}: estimator checkpoint is "${kind}", expected "club"`);
    const bounded = header.metadata.bounded_logvar !== 'false';
    return { network: toNetwork(path, (n) => tensors.get(n), bounded), metadata: header.metadata, path };
  }
  if (ext === '.pt' || ext === '.pth' || ext === '.bin' || ext === '.ckpt') {
    const tensors = readTorchStateDict(path);
    // Accept state dicts saved from a wrapper module (e.g. "mi_estimator.p_mu.0.weight").
    const get = (name: string): RawTensor | undefined => {
      const direct = tensors.get(name);
      if (direct) return direct;
      for (const [k, v] of tensors) if (k.endsWith(`.${name}`)) return v;
      return undefined;
    };
    return { network: toNetwork(path, get, true), metadata: { estimator: 'club', source: 'pytorch' }, path };
  }
  throw new InputError(`${path}: unknown estimator checkpoint type "${ext || '(none)'}", expected .pt or .safetensors`);
}

/** Save a CLUB network as safetensors (float32 weights) with string metadata. */
export function saveClubCheckpoint(path: string, net: ClubNetwork, metadata: Record<string, string>): void {
  const f32 = (a: Float32Array | Float64Array): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a));
  writeSafetensors(
    path,
    {
      'p_mu.0.weight': { shape: [net.muW1.rows, net.muW1.cols], data: f32(net.muW1.data) },
      'p_mu.0.bias': { shape: [net.muB1.length], data: f32(net.muB1) },
      'p_mu.2.weight': { shape: [net.muW2.rows, net.muW2.cols], data: f32(net.muW2.data) },
      'p_mu.2.bias': { shape: [net.muB2.length], data: f32(net.muB2) },
      'p_logvar.0.weight': { shape: [net.lvW1.rows, net.lvW1.cols], data: f32(net.lvW1.data) },
      'p_logvar.0.bias': { shape: [net.lvB1.length], data: f32(net.lvB1) },
      'p_logvar.2.weight': { shape: [net.lvW2.rows, net.lvW2.cols], data: f32(net.lvW2.data) },
      'p_logvar.2.bias': { shape: [net.lvB2.length], data: f32(net.lvB2) },
    },
    { estimator: 'club', bounded_logvar: String(net.boundedLogvar), ...metadata },
  );
}
