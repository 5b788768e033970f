/**
 * NumPy .npy (format versions 1–3) and .npz readers/writer for 2-D float arrays.
 * Header: magic "\x93NUMPY", major, minor, header length (u16 for v1, u32 for v2/3), then a
 * Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }.
 */
import { InputError } from '../errors.js';
import type { Matrix } from '../core/matrix.js';
import { ZipArchive } from './zip.js';
import { readInputFile } from './read-input.js';

/** Parse .npy bytes into a 2-D matrix (1-D arrays become [n, 1]). `where` names it in errors. */
export function parseNpy(buf: Buffer, where: string): Matrix {
  const fail = (what: string): never => {
    throw new InputError(`${where}: not a valid .npy array: ${what}`);
  };
  if (buf.length === 0) fail('file is empty');
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail('missing the \\x93NUMPY magic');
  const major = buf[6];
  let headerLen: number;
  let start: number;
  if (major === 1) { headerLen = buf.readUInt16LE(8); start = 10; }
  else if (major === 2 || major === 3) { if (buf.length < 12) fail('truncated header'); headerLen = buf.readUInt32LE(8); start = 12; }
  else return fail(`unsupported format version ${major}`);
  if (start + headerLen > buf.length) fail(`header length ${headerLen} runs past the end of the file`);
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail('header lacks descr/fortran_order/shape');
  const shape = shapeText!.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (!shape.every((s) => Number.isSafeInteger(s) && s >= 0)) fail(`bad shape (${shapeText})`);
  if (shape.length < 1 || shape.length > 2) fail(`expected a 1-D or 2-D array, found shape (${shapeText})`);
  const rows = shape[0];
  const cols = shape.length === 2 ? shape[1] : 1;
  const n = rows * cols;
  const dataStart = start + headerLen;
  let item: number;
  let read: (dv: DataView, i: number) => number;
  let f64: boolean;
  switch (descr) {
    case '<f4': item = 4; f64 = false; read = (dv, i) => dv.getFloat32(i * 4, true); break;
    case '<f8': item = 8; f64 = true; read = (dv, i) => dv.getFloat64(i * 8, true); break;
    case '>f4': item = 4; f64 = false; read = (dv, i) => dv.getFloat32(i * 4, false); break;
    case '>f8': item = 8; f64 = true; read = (dv, i) => dv.getFloat64(i * 8, false); break;
    default: return fail(`dtype ${descr} is not supported, expected float32 or float64`);
  }
  if (buf.length - dataStart < n * item) fail(`data has ${buf.length - dataStart} bytes, shape (${shape.join(', ')}) needs ${n * item} (truncated?)`);
  const bytes = new Uint8Array(n * item);
  bytes.set(buf.subarray(dataStart, dataStart + n * item));
  const dv = new DataView(bytes.buffer);
  const out = f64 ? new Float64Array(n) : new Float32Array(n);
  if (fortran === 'True') {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = read(dv, j * rows + i);
  } else {
    for (let k = 0; k < n; k++) out[k] = read(dv, k);
  }
  return { rows, cols, data: out };
}

export function readNpy(path: string): Matrix {
  return parseNpy(readInputFile(path), path);
}

/** All arrays of an .npz archive, by name without the `.npy` suffix. */
export function readNpz(path: string): Map<string, Matrix> {
  const zip = ZipArchive.open(path, readInputFile(path));
  const out = new Map<string, Matrix>();
  for (const name of zip.entries.keys()) {
    if (!name.endsWith('.npy')) continue;
    out.set(name.slice(0, -4), parseNpy(zip.read(name), `${path}:${name}`));
  }
  return out;
}

/** Serialise a 2-D matrix as .npy v1 (float32 or float64, C order). */
export function encodeNpy(m: Matrix): Buffer {
  const descr = m.data instanceof Float64Array ? '<f8' : '<f4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${m.rows}, ${m.cols}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const hb = Buffer.from(header, 'latin1');
  const out = Buffer.alloc(10 + hb.length + m.data.byteLength);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(hb.length, 8);
  hb.copy(out, 10);
  Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).copy(out, 10 + hb.length);
  return out;
}
