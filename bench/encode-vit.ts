/**
 * A randomly initialised, full-size CLIP ViT-B/32 vision tower as ONNX, with the same
 * interface as the transformers.js export (`pixel_values` → `image_embeds`,
 * `last_hidden_state`): patch embedding (Conv 32×32/32, 768 channels, no bias), class token,
 * 50 position embeddings, pre-layernorm, 12 pre-LN transformer layers (12 heads × 64, MLP 3072
 * with quick-GELU), post-layernorm on the class token and a 768→512 projection. ~88 M float32
 * weights (~350 MB). The weights are noise: it exists to time the graph, not to embed anything.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeOnnxModel, OnnxDataType, type OnnxInitializer, type OnnxNode } from '../src/io/onnx-proto.js';

const D = 768;
const HEADS = 12;
const HEAD = 64;
const MLP = 3072;
const LAYERS = 12;
const TOKENS = 50;

function normalNoise(n: number, std: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u())) * std;
    const a = 2 * Math.PI * u();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

export function buildVitB32(): Uint8Array {
  const inits: OnnxInitializer[] = [];
  const nodes: OnnxNode[] = [];
  let seed = 1;
  const w = (name: string, dims: number[], std = 0.02) => {
    inits.push({ name, dims, data: normalNoise(dims.reduce((a, b) => a * b, 1), std, seed++) });
    return name;
  };
  const c = (name: string, dims: number[], v: number) => {
    inits.push({ name, dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(v) });
    return name;
  };
  const i64 = (name: string, v: number[]) => {
    inits.push({ name, dims: [v.length], data: BigInt64Array.from(v.map(BigInt)) });
    return name;
  };
  const node = (op: string, inputs: string[], output: string, attrs?: OnnxNode['attrs']) => {
    nodes.push({ op, inputs, outputs: [output], ...(attrs ? { attrs } : {}) });
    return output;
  };
  const ln = (x: string, p: string) => node('LayerNormalization', [x, c(`${p}.weight`, [D], 1), c(`${p}.bias`, [D], 0)], `${p}.out`, { axis: { i: -1 }, epsilon: { f: 1e-5 } });
  const linear = (x: string, p: string, inDim: number, outDim: number) =>
    node('Add', [node('MatMul', [x, w(`${p}.weight`, [inDim, outDim])], `${p}.mm`), c(`${p}.bias`, [outDim], 0)], `${p}.out`);

  // Embeddings.
  const patch = node('Conv', ['pixel_values', w('patch_embedding.weight', [D, 3, 32, 32])], 'patch_map', { kernel_shape: { ints: [32, 32] }, strides: { ints: [32, 32] } });
  const flat = node('Reshape', [patch, i64('flat_shape', [0, D, 49])], 'patch_flat');
  const patches = node('Transpose', [flat], 'patches', { perm: { ints: [0, 2, 1] } });
  const batch = node('Gather', [node('Shape', ['pixel_values'], 'px_shape'), i64('idx0', [0])], 'batch_dim', { axis: { i: 0 } });
  const clsShape = node('Concat', [batch, i64('one_d', [1, D])], 'cls_shape', { axis: { i: 0 } });
  const cls = node('Expand', [w('class_embedding', [1, 1, D]), clsShape], 'cls');
  const tokens = node('Concat', [cls, patches], 'tokens', { axis: { i: 1 } });
  let h = node('Add', [tokens, w('position_embedding', [1, TOKENS, D])], 'embedded');
  h = ln(h, 'pre_layrnorm');

  const headsShape = i64('heads_shape', [0, TOKENS, HEADS, HEAD]);
  const mergeShape = i64('merge_shape', [0, TOKENS, D]);
  const scale = c('attn_scale', [1], 1 / Math.sqrt(HEAD));
  const geluK = c('gelu_k', [1], 1.702);
  for (let l = 0; l < LAYERS; l++) {
    const p = `layers.${l}`;
    const x1 = ln(h, `${p}.layer_norm1`);
    const split = (name: string, perm: number[]) =>
      node('Transpose', [node('Reshape', [linear(x1, `${p}.${name}`, D, D), headsShape], `${p}.${name}.heads`)], `${p}.${name}.t`, { perm: { ints: perm } });
    const q = split('q_proj', [0, 2, 1, 3]);
    const k = split('k_proj', [0, 2, 3, 1]);
    const v = split('v_proj', [0, 2, 1, 3]);
    const scores = node('Mul', [node('MatMul', [q, k], `${p}.qk`), scale], `${p}.scores`);
    const probs = node('Softmax', [scores], `${p}.probs`, { axis: { i: -1 } });
    const ctx = node('Transpose', [node('MatMul', [probs, v], `${p}.ctx`)], `${p}.ctx.t`, { perm: { ints: [0, 2, 1, 3] } });
    const merged = node('Reshape', [ctx, mergeShape], `${p}.merged`);
    h = node('Add', [h, linear(merged, `${p}.out_proj`, D, D)], `${p}.res1`);
    const x2 = ln(h, `${p}.layer_norm2`);
    const f1 = linear(x2, `${p}.fc1`, D, MLP);
    const act = node('Mul', [f1, node('Sigmoid', [node('Mul', [f1, geluK], `${p}.gk`)], `${p}.sig`)], `${p}.gelu`);
    h = node('Add', [h, linear(act, `${p}.fc2`, MLP, D)], `${p}.res2`);
  }
  nodes.push({ op: 'Identity', inputs: [h], outputs: ['last_hidden_state'] });
  const pooled = node('Gather', ['last_hidden_state', i64('idx_cls', [0])], 'pooled3', { axis: { i: 1 } });
  const pooled2 = node('Reshape', [pooled, i64('pool_shape', [0, D])], 'pooled');
  const post = ln(pooled2, 'post_layernorm');
  nodes.push({ op: 'MatMul', inputs: [post, w('visual_projection.weight', [D, 512])], outputs: ['image_embeds'] });
  return encodeOnnxModel({
    name: 'clip_vit_b32_random',
    opset: 17,
    inputs: [{ name: 'pixel_values', elemType: OnnxDataType.FLOAT, shape: ['batch_size', 3, 224, 224] }],
    outputs: [
      { name: 'image_embeds', elemType: OnnxDataType.FLOAT, shape: ['batch_size', 512] },
      { name: 'last_hidden_state', elemType: OnnxDataType.FLOAT, shape: ['batch_size', TOKENS, D] },
    ],
    nodes,
    initializers: inits,
  });
}

/** Write the graph to `path` unless it is already there. */
export function ensureVitB32(path: string): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, buildVitB32());
  }
  return path;
}
