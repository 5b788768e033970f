/**
 * A minimal ONNX model writer (protobuf wire format written by hand, field numbers from the
 * public onnx.proto): enough to express dense feed-forward graphs (Gemm, MatMul, Add, Tanh …)
 * with initializers, so matrix products can run on onnxruntime's MLAS kernels.
 */

class ProtoWriter {
  private chunks: Buffer[] = [];

  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    const bytes: number[] = [];
    while (x >= 0x80n) {
      bytes.push(Number((x & 0x7fn) | 0x80n));
      x >>= 7n;
    }
    bytes.push(Number(x));
    this.chunks.push(Buffer.from(bytes));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(b.length);
    this.chunks.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** ONNX TensorProto.DataType values. */
export const OnnxType = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Integer attributes (e.g. Gemm's transB). */
  readonly intAttributes?: Readonly<Record<string, number>>;
}

export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array;
}

export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: number;
  /** Fixed sizes or symbolic names. */
  readonly dims: readonly (number | string)[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly opset?: number;
}

function valueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

/** Serialise a graph as an ONNX ModelProto (IR version 8). */
export function encodeOnnxModel(g: OnnxGraph): Uint8Array {
  const graph = new ProtoWriter();
  g.nodes.forEach((n, k) => {
    const node = new ProtoWriter();
    for (const i of n.inputs) node.string(1, i);
    for (const o of n.outputs) node.string(2, o);
    node.string(3, `${n.op}_${k}`);
    node.string(4, n.op);
    for (const [name, value] of Object.entries(n.intAttributes ?? {})) {
      node.message(5, new ProtoWriter().string(1, name).int(3, value).int(20, 2));
    }
    graph.message(1, node);
  });
  graph.string(2, g.name);
  for (const t of g.initializers) {
    const tensor = new ProtoWriter();
    for (const d of t.dims) tensor.int(1, d);
    tensor.int(2, t.data instanceof Float64Array ? OnnxType.DOUBLE : OnnxType.FLOAT);
    tensor.string(8, t.name);
    tensor.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    graph.message(5, tensor);
  }
  for (const v of g.inputs) graph.message(11, valueInfo(v));
  for (const v of g.outputs) graph.message(12, valueInfo(v));
  const model = new ProtoWriter()
    .int(1, 8)
    .string(2, 'mllmshift')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, g.opset ?? 17));
  return model.finish();
}
