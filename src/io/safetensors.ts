/**
 * safetensors reader and writer (https://github.com/huggingface/safetensors, format spec):
 * 8 bytes little-endian u64 N, then N bytes of UTF-8 JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`,
 * then the byte buffer. Offsets are relative to the start of the buffer.
 *
 * Every file is untrusted: the header length, JSON, dtypes, shapes and offsets are all checked
 * against the file size before a byte of tensor data is read, and tensors can be read by
 * offset (a 1 GB checkpoint is never loaded whole to take three tensors out of it).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';
import { bf16ToFloat, halfToFloat } from './half.js';
import { writeFileAtomic } from './atomic-write.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const ITEM_SIZE: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Largest header accepted (the reference implementation's limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte range in the file. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly path: string;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly fileSize: number;
}

/** A tensor converted to floating point (F16/BF16/integers → Float32Array, F64 stays F64). */
export interface FloatTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

function fail(path: string, what: string): never {
  throw new InputError(`${path}: not a valid safetensors file: ${what}`);
}

function openForRead(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path}: file not found`);
    if (code === 'EISDIR') throw new InputError(`${path}: is a directory, expected a .safetensors file`);
    throw new InputError(`${path}: cannot open (${code ?? (e as Error).message})`);
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new InputError(`${path}: is a directory, expected a .safetensors file`);
  }
  return fd;
}

function readExactly(fd: number, path: string, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) fail(path, `file ends at byte ${position + got}, expected ${position + length}`);
    got += n;
  }
  return buf;
}

function parseHeader(path: string, fd: number): SafetensorsHeader {
  const fileSize = fstatSync(fd).size;
  if (fileSize === 0) fail(path, 'file is empty');
  if (fileSize < 8) fail(path, `file has ${fileSize} bytes, too short for the 8-byte header length`);
  const lenBuf = readExactly(fd, path, 0, 8);
  const n64 = lenBuf.readBigUInt64LE(0);
  if (n64 > BigInt(fileSize - 8)) {
    fail(path, `header length field says ${n64} bytes but only ${fileSize - 8} follow (truncated or not safetensors)`);
  }
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES) fail(path, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n < 2) fail(path, `header length ${n} is too small for a JSON object`);
  const text = readExactly(fd, path, 8, n).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail(path, 'header is not valid JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(path, 'header is not a JSON object');
  const dataStart = 8 + n;
  const bufferSize = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(path, `__metadata__.${k} is not a string`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    if (value === null || typeof value !== 'object') fail(path, `tensor "${name}": entry is not an object`);
    const v = value as Record<string, unknown>;
    const dtype = v.dtype;
    if (typeof dtype !== 'string' || !(dtype in ITEM_SIZE)) {
      fail(path, `tensor "${name}": unsupported dtype ${JSON.stringify(dtype)}`);
    }
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      fail(path, `tensor "${name}": shape must be an array of non-negative integers`);
    }
    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(path, `tensor "${name}": data_offsets must be two non-negative integers`);
    }
    const [b, e] = offs as [number, number];
    const numel = (shape as number[]).reduce((a, s) => a * s, 1);
    const expected = numel * ITEM_SIZE[dtype as SafetensorsDtype];
    if (e < b) fail(path, `tensor "${name}": data_offsets end ${e} < begin ${b}`);
    if (e - b !== expected) {
      fail(path, `tensor "${name}": ${e - b} bytes of data for shape [${(shape as number[]).join(', ')}] ${dtype}, expected ${expected}`);
    }
    if (e > bufferSize) {
      fail(path, `tensor "${name}": data ends at byte ${e} of the buffer but the buffer has ${bufferSize} bytes (truncated file?)`);
    }
    tensors.set(name, { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  return { path, tensors, metadata, fileSize };
}

/** Read and validate only the header. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openForRead(path);
  try {
    return parseHeader(path, fd);
  } finally {
    closeSync(fd);
  }
}

function decode(info: TensorInfo, bytes: Buffer): Float32Array | Float64Array {
  const n = info.shape.reduce((a, s) => a * s, 1);
  // Copy into an aligned buffer (the file buffer's offset may not be a multiple of 8).
  const ab = new ArrayBuffer(bytes.length);
  new Uint8Array(ab).set(bytes);
  const dv = new DataView(ab);
  switch (info.dtype) {
    case 'F32': return new Float32Array(ab, 0, n);
    case 'F64': return new Float64Array(ab, 0, n);
    case 'F16': { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = halfToFloat(dv.getUint16(2 * i, true)); return o; }
    case 'BF16': { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = bf16ToFloat(dv.getUint16(2 * i, true)); return o; }
    case 'I64': { const o = new Float64Array(n); for (let i = 0; i < n; i++) o[i] = Number(dv.getBigInt64(8 * i, true)); return o; }
    case 'I32': { const o = new Float64Array(n); for (let i = 0; i < n; i++) o[i] = dv.getInt32(4 * i, true); return o; }
    case 'I16': { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getInt16(2 * i, true); return o; }
    case 'I8': { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getInt8(i); return o; }
    case 'U8': case 'BOOL': { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getUint8(i); return o; }
  }
}

/**
 * Read the named tensors (all when `names` is omitted) as floating point. Only their byte
 * ranges are read from disk. A missing name is an InputError naming the file and tensor.
 */
export function readSafetensors(path: string, names?: readonly string[]): { header: SafetensorsHeader; tensors: Map<string, FloatTensor> } {
  const fd = openForRead(path);
  try {
    const header = parseHeader(path, fd);
    const wanted = names ?? [...header.tensors.keys()];
    const tensors = new Map<string, FloatTensor>();
    for (const name of wanted) {
      const info = header.tensors.get(name);
      if (!info) {
        const have = [...header.tensors.keys()].slice(0, 12).join(', ');
        throw new InputError(`${path}: missing tensor "${name}" (file has: ${have || 'no tensors'})`);
      }
      tensors.set(name, { shape: info.shape, data: decode(info, readExactly(fd, path, info.begin, info.end - info.begin)) });
    }
    return { header, tensors };
  } finally {
    closeSync(fd);
  }
}

/** Read rows [rowStart, rowStart + rowCount) of a 2-D F32 tensor by offset (for huge embedding tables). */
export function readSafetensorsRows(path: string, header: SafetensorsHeader, name: string, rowStart: number, rowCount: number): Float32Array {
  const info = header.tensors.get(name);
  if (!info) throw new InputError(`${path}: missing tensor "${name}"`);
  if (info.dtype !== 'F32' || info.shape.length !== 2) {
    throw new InputError(`${path}: tensor "${name}" must be a 2-D F32 tensor, found ${info.dtype} [${info.shape.join(', ')}]`);
  }
  const cols = info.shape[1];
  if (rowStart < 0 || rowStart + rowCount > info.shape[0]) {
    throw new RangeError(`${path}: rows ${rowStart}..${rowStart + rowCount} out of range for "${name}" with ${info.shape[0]} rows`);
  }
  const fd = openForRead(path);
  try {
    const bytes = readExactly(fd, path, info.begin + rowStart * cols * 4, rowCount * cols * 4);
    const out = new Float32Array(rowCount * cols);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  } finally {
    closeSync(fd);
  }
}

export interface TensorToWrite {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

/** Serialise tensors (F32 for Float32Array, F64 for Float64Array) with string metadata. */
export function encodeSafetensors(tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {}): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const numel = t.shape.reduce((a, s) => a * s, 1);
    if (numel !== t.data.length) throw new RangeError(`tensor "${name}": shape [${t.shape.join(', ')}] does not match ${t.data.length} values`);
    const dtype = t.data instanceof Float64Array ? 'F64' : 'F32';
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the buffer starts 8-byte aligned (as the reference writer does).
  const pad = (8 - ((8 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const hbuf = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + hbuf.length + offset);
  out.writeBigUInt64LE(BigInt(hbuf.length), 0);
  hbuf.copy(out, 8);
  let pos = 8 + hbuf.length;
  for (const name of names) {
    const d = tensors[name].data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, pos);
    pos += d.byteLength;
  }
  return out;
}

/** Write atomically (see io/atomic-write), so a killed process never leaves half a file. */
export function writeSafetensors(path: string, tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
