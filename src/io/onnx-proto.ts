/**
 * A minimal ONNX model *writer*: the subset of onnx.proto (https://github.com/onnx/onnx,
 * onnx/onnx.proto, IR version 8) needed to serialise a graph of standard operators with float32,
 * float64, int32 or int64 initializers. The schema is declared here with protobufjs reflection (onnx.proto is not
 * shipped with any installed package); field numbers are those of the public onnx.proto.
 *
 * Used to run dense products on onnxruntime's MLAS kernels (the CLUB forward and training graphs
 * and the JSD Gram products in accel/), to build small models in the real layout for tests (a
 * CLIP-vision-shaped graph with the same input/output names as the transformers.js export), and
 * a randomly initialised full-size ViT-B/32 for the encoder benchmark. Reading ONNX files is
 * onnxruntime's job, not this module's.
 */
import protobuf from 'protobufjs';

const { Root, Type, Field, Enum, OneOf } = protobuf;

/** onnx.TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

/** onnx.AttributeProto.AttributeType values. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

function buildSchema(): { model: protobuf.Type } {
  const tensorShapeDim = new Type('Dimension')
    .add(new Field('dimValue', 1, 'int64'))
    .add(new Field('dimParam', 2, 'string'))
    .add(new OneOf('value', ['dimValue', 'dimParam']));
  const tensorShape = new Type('TensorShapeProto').add(new Field('dim', 1, 'Dimension', 'repeated')).add(tensorShapeDim);
  const tensorType = new Type('Tensor').add(new Field('elemType', 1, 'int32')).add(new Field('shape', 2, 'TensorShapeProto'));
  const typeProto = new Type('TypeProto')
    .add(new Field('tensorType', 1, 'Tensor'))
    .add(new OneOf('value', ['tensorType']))
    .add(tensorType);
  const valueInfo = new Type('ValueInfoProto')
    .add(new Field('name', 1, 'string'))
    .add(new Field('type', 2, 'TypeProto'))
    .add(new Field('docString', 3, 'string'));
  const tensor = new Type('TensorProto')
    .add(new Field('dims', 1, 'int64', 'repeated'))
    .add(new Field('dataType', 2, 'int32'))
    .add(new Field('floatData', 4, 'float', 'repeated'))
    .add(new Field('int32Data', 5, 'int32', 'repeated'))
    .add(new Field('int64Data', 7, 'int64', 'repeated'))
    .add(new Field('name', 8, 'string'))
    .add(new Field('rawData', 9, 'bytes'))
    .add(new Field('docString', 12, 'string'));
  const attrType = new Enum('AttributeType', {
    UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10,
  });
  const attribute = new Type('AttributeProto')
    .add(new Field('name', 1, 'string'))
    .add(new Field('f', 2, 'float'))
    .add(new Field('i', 3, 'int64'))
    .add(new Field('s', 4, 'bytes'))
    .add(new Field('t', 5, 'TensorProto'))
    .add(new Field('floats', 7, 'float', 'repeated'))
    .add(new Field('ints', 8, 'int64', 'repeated'))
    .add(new Field('docString', 13, 'string'))
    .add(new Field('type', 20, 'AttributeType'))
    .add(attrType);
  const node = new Type('NodeProto')
    .add(new Field('input', 1, 'string', 'repeated'))
    .add(new Field('output', 2, 'string', 'repeated'))
    .add(new Field('name', 3, 'string'))
    .add(new Field('opType', 4, 'string'))
    .add(new Field('attribute', 5, 'AttributeProto', 'repeated'))
    .add(new Field('docString', 6, 'string'))
    .add(new Field('domain', 7, 'string'));
  const graph = new Type('GraphProto')
    .add(new Field('node', 1, 'NodeProto', 'repeated'))
    .add(new Field('name', 2, 'string'))
    .add(new Field('initializer', 5, 'TensorProto', 'repeated'))
    .add(new Field('docString', 10, 'string'))
    .add(new Field('input', 11, 'ValueInfoProto', 'repeated'))
    .add(new Field('output', 12, 'ValueInfoProto', 'repeated'));
  const opset = new Type('OperatorSetIdProto').add(new Field('domain', 1, 'string')).add(new Field('version', 2, 'int64'));
  const model = new Type('ModelProto')
    .add(new Field('irVersion', 1, 'int64'))
    .add(new Field('producerName', 2, 'string'))
    .add(new Field('producerVersion', 3, 'string'))
    .add(new Field('domain', 4, 'string'))
    .add(new Field('modelVersion', 5, 'int64'))
    .add(new Field('docString', 6, 'string'))
    .add(new Field('graph', 7, 'GraphProto'))
    .add(new Field('opsetImport', 8, 'OperatorSetIdProto', 'repeated'));
  const ns = new protobuf.Namespace('onnx');
  for (const t of [tensorShape, typeProto, valueInfo, tensor, attribute, node, graph, opset, model]) ns.add(t);
  new Root().add(ns).resolveAll();
  return { model };
}

let schema: { model: protobuf.Type } | undefined;

/** A dimension: a fixed size or a symbolic name such as "batch_size". */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  readonly name: string;
  /** An OnnxDataType value. */
  readonly elemType: number;
  readonly shape: readonly OnnxDim[];
}

/** A constant tensor. Float32Array → FLOAT, Float64Array → DOUBLE, BigInt64Array → INT64, Int32Array → INT32. */
export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array | BigInt64Array | Int32Array;
}

/** An attribute value, tagged with its ONNX type (a bare JS number is ambiguous between int and float). */
export type OnnxAttribute =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly s: string }
  | { readonly t: OnnxInitializer };

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly attrs?: Readonly<Record<string, OnnxAttribute>>;
}

export interface OnnxGraph {
  readonly name: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  /** Version of the default ("ai.onnx") operator set; 17 has LayerNormalization. */
  readonly opset?: number;
  readonly producer?: string;
}

function tensorMessage(t: OnnxInitializer): Record<string, unknown> {
  const dataType = t.data instanceof Float32Array ? OnnxDataType.FLOAT
    : t.data instanceof Float64Array ? OnnxDataType.DOUBLE
    : t.data instanceof BigInt64Array ? OnnxDataType.INT64 : OnnxDataType.INT32;
  const numel = t.dims.reduce((a, d) => a * d, 1);
  if (numel !== t.data.length) throw new RangeError(`onnx initializer "${t.name}": dims [${t.dims.join(', ')}] do not match ${t.data.length} values`);
  // raw_data is little-endian, which is every platform Node runs on.
  return {
    name: t.name,
    dims: [...t.dims],
    dataType,
    rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  };
}

function valueInfoMessage(v: OnnxValueInfo): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.elemType,
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attributeMessage(name: string, a: OnnxAttribute): Record<string, unknown> {
  if ('i' in a) return { name, type: AttributeType.INT, i: a.i };
  if ('f' in a) return { name, type: AttributeType.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: AttributeType.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: AttributeType.FLOATS, floats: [...a.floats] };
  if ('s' in a) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.s) };
  return { name, type: AttributeType.TENSOR, t: tensorMessage(a.t) };
}

/** Serialise a graph as an ONNX ModelProto (IR version 8). */
export function encodeOnnxModel(g: OnnxGraph): Uint8Array {
  schema ??= buildSchema();
  const msg = {
    irVersion: 8,
    producerName: g.producer ?? 'mllmshift',
    opsetImport: [{ domain: '', version: g.opset ?? 17 }],
    graph: {
      name: g.name,
      node: g.nodes.map((n, k) => ({
        name: n.name ?? `${n.op}_${k}`,
        opType: n.op,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([k2, v]) => attributeMessage(k2, v)),
      })),
      initializer: g.initializers.map(tensorMessage),
      input: g.inputs.map(valueInfoMessage),
      output: g.outputs.map(valueInfoMessage),
    },
  };
  const err = schema.model.verify(msg);
  if (err) throw new Error(`onnx model: ${err}`);
  return schema.model.encode(schema.model.fromObject(msg)).finish();
}
