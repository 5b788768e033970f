/**
 * Builds PyTorch-format zip checkpoints for tests: a protocol-2 pickle of an OrderedDict of
 * tensors rebuilt with torch._utils._rebuild_tensor_v2, storages in data/<key>, exactly the
 * layout torch.save writes. `extraPickle` lets a test inject hostile opcodes.
 */
import { makeZip } from './zip.js';

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
function unicode(s: string): Buffer {
  const b = enc(s);
  const h = Buffer.alloc(5);
  h[0] = 0x58;
  h.writeUInt32LE(b.length, 1);
  return Buffer.concat([h, b]);
}
function int(v: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = 0x4a;
  b.writeInt32LE(v, 1);
  return b;
}
const op = (...bytes: number[]): Buffer => Buffer.from(bytes);
const global = (module: string, name: string): Buffer => Buffer.concat([op(0x63), enc(`${module}\n${name}\n`)]);
const tuple = (items: Buffer[]): Buffer => Buffer.concat([op(0x28), ...items, op(0x74)]);

export interface PickleTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** Strides in elements; defaults to C-contiguous. */
  readonly stride?: readonly number[];
}

export function stateDictPickle(tensors: Record<string, PickleTensor>): Buffer {
  const parts: Buffer[] = [op(0x80, 2), global('collections', 'OrderedDict'), op(0x29, 0x52), op(0x28)];
  Object.entries(tensors).forEach(([name, t], k) => {
    const stride = t.stride ?? t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, s) => a * s, 1));
    parts.push(
      unicode(name),
      global('torch._utils', '_rebuild_tensor_v2'),
      op(0x28),
      tuple([unicode('storage'), global('torch', 'FloatStorage'), unicode(String(k)), unicode('cuda:0'), int(t.data.length)]),
      op(0x51),
      int(0),
      tuple(t.shape.map(int)),
      tuple(stride.map(int)),
      op(0x89),
      global('collections', 'OrderedDict'),
      op(0x29, 0x52),
      op(0x74, 0x52),
    );
  });
  parts.push(op(0x75, 0x2e));
  return Buffer.concat(parts);
}

export function torchCheckpoint(tensors: Record<string, PickleTensor>, pickle?: Buffer): Buffer {
  const entries: Record<string, Uint8Array> = {
    'archive/data.pkl': pickle ?? stateDictPickle(tensors),
    'archive/byteorder': enc('little'),
  };
  Object.values(tensors).forEach((t, k) => {
    entries[`archive/data/${k}`] = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  });
  entries['archive/version'] = enc('3\n');
  return makeZip(entries);
}

/** A pickle that asks for os.system — must be refused without running anything. */
export function hostilePickle(): Buffer {
  return Buffer.concat([op(0x80, 2), global('os', 'system'), unicode('touch /tmp/pwned'), op(0x85, 0x52, 0x2e)]);
}
