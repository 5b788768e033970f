/**
 * Reads a PyTorch zip checkpoint (`torch.save` format ≥ 1.6) holding a state dict of tensors,
 * with a restricted unpickler: it implements only the pickle opcodes a state dict needs and
 * accepts only these globals —
 *   collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter,
 *   torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage.
 * Any other global (os.system, builtins.eval, …) or opcode is refused with an InputError.
 * Nothing in the file is ever executed. Storage device locations (e.g. `cuda:0`) are ignored.
 */
import { InputError } from '../errors.js';
import { ZipArchive } from './zip.js';
import { readInputFile } from './read-input.js';
import { bf16ToFloat, halfToFloat } from './half.js';

export interface TorchTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

const STORAGE_DTYPES: Record<string, { size: number; read: (dv: DataView, i: number) => number; f64: boolean }> = {
  FloatStorage: { size: 4, read: (dv, i) => dv.getFloat32(i * 4, true), f64: false },
  DoubleStorage: { size: 8, read: (dv, i) => dv.getFloat64(i * 8, true), f64: true },
  HalfStorage: { size: 2, read: (dv, i) => halfToFloat(dv.getUint16(i * 2, true)), f64: false },
  BFloat16Storage: { size: 2, read: (dv, i) => bf16ToFloat(dv.getUint16(i * 2, true)), f64: false },
  LongStorage: { size: 8, read: (dv, i) => Number(dv.getBigInt64(i * 8, true)), f64: true },
  IntStorage: { size: 4, read: (dv, i) => dv.getInt32(i * 4, true), f64: true },
  ShortStorage: { size: 2, read: (dv, i) => dv.getInt16(i * 2, true), f64: false },
  CharStorage: { size: 1, read: (dv, i) => dv.getInt8(i), f64: false },
  ByteStorage: { size: 1, read: (dv, i) => dv.getUint8(i), f64: false },
  BoolStorage: { size: 1, read: (dv, i) => dv.getUint8(i), f64: false },
};

/** Objects the unpickler can build. Everything else is refused. */
class Global { constructor(readonly module: string, readonly name: string) {} }
class StorageRef { constructor(readonly storageType: string, readonly key: string, readonly numel: number) {} }
class StateDict { readonly entries = new Map<string, unknown>(); }
const MARK = Symbol('mark');

const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);

interface Ctx {
  path: string;
  /** What the file was expected to be, for error messages. */
  what: string;
  loadStorage(ref: StorageRef): { dv: DataView; numel: number };
}

function rebuildTensor(ctx: Ctx, args: unknown[]): TorchTensor {
  const [storage, offset, size, stride] = args as [unknown, unknown, unknown, unknown];
  if (!(storage instanceof StorageRef) || typeof offset !== 'number' || !Array.isArray(size) || !Array.isArray(stride)) {
    throw new InputError(`${ctx.path}: malformed tensor record in the pickle`);
  }
  const dt = STORAGE_DTYPES[storage.storageType];
  const { dv, numel: storageNumel } = ctx.loadStorage(storage);
  const shape = size as number[];
  const n = shape.reduce((a, s) => a * s, 1);
  const out = dt.f64 ? new Float64Array(n) : new Float32Array(n);
  const contiguous = (stride as number[]).every((st, a) => st === shape.slice(a + 1).reduce((p, q) => p * q, 1) || shape[a] === 1);
  if (contiguous) {
    if (offset < 0 || offset + n > storageNumel) throw new InputError(`${ctx.path}: tensor lies outside its storage`);
    for (let k = 0; k < n; k++) out[k] = dt.read(dv, offset + k);
    return { shape, data: out };
  }
  // General strided gather (handles transposed / non-contiguous saves).
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let src = offset;
    for (let a = 0; a < shape.length; a++) src += idx[a] * (stride as number[])[a];
    if (src < 0 || src >= storageNumel) throw new InputError(`${ctx.path}: tensor element ${k} lies outside its storage`);
    out[k] = dt.read(dv, src);
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return { shape, data: out };
}

function unpickle(ctx: Ctx, data: Buffer): unknown {
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const fail = (what: string): never => {
    throw new InputError(`${ctx.path}: not ${ctx.what}: ${what} (pickle byte ${p})`);
  };
  const need = (n: number): void => { if (p + n > data.length) fail('pickle ends early'); };
  const popMark = (): unknown[] => {
    const items: unknown[] = [];
    for (;;) {
      if (stack.length === 0) fail('MARK not found');
      const v = stack.pop();
      if (v === MARK) break;
      items.push(v);
    }
    return items.reverse();
  };
  const pop = (): unknown => { if (stack.length === 0) fail('stack underflow'); return stack.pop(); };
  const setItem = (d: unknown, k: unknown, v: unknown): void => {
    if (d instanceof StateDict && typeof k === 'string') d.entries.set(k, v);
    else if (d instanceof Map) d.set(k, v);
    else fail('SETITEM on an object that is not a dict');
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof Global) || !Array.isArray(args)) fail('REDUCE on something that is not an allowed global');
    const g = `${(fn as Global).module}.${(fn as Global).name}`;
    const a = args as unknown[];
    if (g === 'collections.OrderedDict') return new StateDict();
    if (g === 'torch._utils._rebuild_tensor_v2') return rebuildTensor(ctx, a);
    if (g === 'torch._utils._rebuild_parameter') return a[0];
    return fail(`calling ${g} is not allowed`);
  };
  for (;;) {
    need(1);
    const op = data[p++];
    switch (op) {
      case 0x80: need(1); p += 1; break; // PROTO
      case 0x95: need(8); p += 8; break; // FRAME
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: need(1); stack.push(data[p]); p += 1; break; // BININT1
      case 0x4d: need(2); stack.push(data.readUInt16LE(p)); p += 2; break; // BININT2
      case 0x4a: need(4); stack.push(data.readInt32LE(p)); p += 4; break; // BININT
      case 0x8a: { // LONG1
        need(1); const n = data[p++]; need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[p + i]);
        if (n > 0 && data[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(Number(v)); p += n; break;
      }
      case 0x47: need(8); stack.push(data.readDoubleBE(p)); p += 8; break; // BINFLOAT
      case 0x58: { need(4); const n = data.readUInt32LE(p); p += 4; need(n); stack.push(data.toString('utf8', p, p + n)); p += n; break; } // BINUNICODE
      case 0x8c: { need(1); const n = data[p++]; need(n); stack.push(data.toString('utf8', p, p + n)); p += n; break; } // SHORT_BINUNICODE
      case 0x71: need(1); memo.set(data[p], stack[stack.length - 1]); p += 1; break; // BINPUT
      case 0x72: need(4); memo.set(data.readUInt32LE(p), stack[stack.length - 1]); p += 4; break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, stack[stack.length - 1]); break; // MEMOIZE
      case 0x68: { need(1); const k = data[p++]; if (!memo.has(k)) fail(`memo ${k} missing`); stack.push(memo.get(k)); break; } // BINGET
      case 0x6a: { need(4); const k = data.readUInt32LE(p); p += 4; if (!memo.has(k)) fail(`memo ${k} missing`); stack.push(memo.get(k)); break; } // LONG_BINGET
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x61: { const v = pop(); const l = stack[stack.length - 1]; if (!Array.isArray(l)) fail('APPEND to a non-list'); (l as unknown[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); const l = stack[stack.length - 1]; if (!Array.isArray(l)) fail('APPENDS to a non-list'); (l as unknown[]).push(...items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItem(stack[stack.length - 1], k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = stack[stack.length - 1];
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x63: { // GLOBAL "module\nname\n"
        const nl1 = data.indexOf(0x0a, p); if (nl1 < 0) fail('bad GLOBAL');
        const nl2 = data.indexOf(0x0a, nl1 + 1); if (nl2 < 0) fail('bad GLOBAL');
        const module = data.toString('utf8', p, nl1);
        const name = data.toString('utf8', nl1 + 1, nl2);
        p = nl2 + 1;
        if (!ALLOWED_GLOBALS.has(`${module}.${name}`)) fail(`refusing global ${module}.${name}; only tensor-rebuilding globals are allowed`);
        stack.push(new Global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(); const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('bad STACK_GLOBAL');
        if (!ALLOWED_GLOBALS.has(`${module}.${name}`)) fail(`refusing global ${module}.${name}; only tensor-rebuilding globals are allowed`);
        stack.push(new Global(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, args)); break; } // REDUCE
      case 0x51: { // BINPERSID: ('storage', StorageType, key, location, numel)
        const pid = pop();
        if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof Global) || typeof pid[2] !== 'string' || typeof pid[4] !== 'number') {
          fail('unsupported persistent id');
        }
        const arr = pid as unknown[];
        stack.push(new StorageRef((arr[1] as Global).name, arr[2] as string, arr[4] as number));
        break;
      }
      case 0x62: { // BUILD: only the state dict's `_metadata` attribute is accepted (and dropped).
        const state = pop();
        const obj = stack[stack.length - 1];
        if (!(obj instanceof StateDict) || !(state instanceof Map || state === null)) fail('BUILD on an object that is not a state dict');
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)}`);
    }
  }
}

/**
 * Unpickles plain data (dicts as Maps, lists and tuples as arrays, numbers, strings, booleans,
 * None) with the same restricted unpickler: a pickle that names any global other than the
 * tensor-rebuilding ones, or holds tensors, is refused. Nothing is executed.
 */
export function readPlainPickle(where: string, data: Buffer, what = 'a plain-data pickle'): unknown {
  const ctx: Ctx = {
    path: where,
    what,
    loadStorage() {
      throw new InputError(`${where}: not ${what}: it holds tensor storages`);
    },
  };
  return unpickle(ctx, data);
}

/**
 * Read a state dict of tensors from a PyTorch zip checkpoint. Returns tensor name → tensor.
 * Nested dicts (e.g. `{"state_dict": {...}}` or `{"model": {...}}`) are flattened with dots.
 */
export function readTorchStateDict(path: string, bytes?: Buffer): Map<string, TorchTensor> {
  const buf = bytes ?? readInputFile(path);
  if (buf.length === 0) throw new InputError(`${path}: file is empty`);
  if (buf.readUInt32LE(0) !== 0x04034b50) {
    throw new InputError(`${path}: not a PyTorch zip checkpoint (expected a zip archive written by torch.save ≥ 1.6)`);
  }
  const zip = ZipArchive.open(path, buf);
  const pklName = [...zip.entries.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pklName) throw new InputError(`${path}: not a PyTorch checkpoint: no data.pkl in the archive`);
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  const byteorderName = `${prefix}byteorder`;
  if (zip.entries.has(byteorderName) && zip.read(byteorderName).toString('utf8').trim() !== 'little') {
    throw new InputError(`${path}: big-endian checkpoints are not supported`);
  }
  const cache = new Map<string, { dv: DataView; numel: number }>();
  const ctx: Ctx = {
    path,
    what: 'a PyTorch state-dict checkpoint',
    loadStorage(ref) {
      let s = cache.get(ref.key);
      if (!s) {
        const raw = zip.read(`${prefix}data/${ref.key}`);
        const size = STORAGE_DTYPES[ref.storageType].size;
        if (raw.length < ref.numel * size) {
          throw new InputError(`${path}: storage ${ref.key} has ${raw.length} bytes, expected ${ref.numel * size}`);
        }
        const copy = new Uint8Array(raw.length);
        copy.set(raw);
        s = { dv: new DataView(copy.buffer), numel: ref.numel };
        cache.set(ref.key, s);
      }
      return s;
    },
  };
  const root = unpickle(ctx, zip.read(pklName));
  const out = new Map<string, TorchTensor>();
  const walk = (obj: unknown, pre: string): void => {
    const entries = obj instanceof StateDict ? obj.entries : obj instanceof Map ? obj : null;
    if (!entries) return;
    for (const [k, v] of entries) {
      const name = pre ? `${pre}.${String(k)}` : String(k);
      if (v && typeof v === 'object' && 'shape' in v && 'data' in v) out.set(name, v as TorchTensor);
      else walk(v, name);
    }
  };
  walk(root, '');
  if (out.size === 0) throw new InputError(`${path}: checkpoint holds no tensors`);
  return out;
}
