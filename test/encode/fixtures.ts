/**
 * Tiny models in the real file layouts, generated with a seeded PRNG, and independent
 * reference computations for the tests.
 *
 * - CLIP: `onnx/vision_model.onnx` with input `pixel_values` [batch, 3, 224, 224] and outputs
 *   `image_embeds` [batch, P] and `last_hidden_state` [batch, 50, D], like the transformers.js
 *   export. The graph: patch embedding (Conv 32×32 stride 32) → 49 patch tokens, a class
 *   token (a scaled mean of the patches plus a bias), position embeddings, Tanh as the
 *   "encoder"; image_embeds projects token 0. Plus config.json / preprocessor_config.json.
 * - XLM-R: `model.safetensors` with `roberta.embeddings.*` (and decoy encoder tensors),
 *   `tokenizer.json` (Unigram, Metaspace, `<s> $A </s>` template, the XLM-R special ids),
 *   `tokenizer_config.json`, `config.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeOnnxModel, OnnxDataType } from '../../src/io/onnx-proto.js';
import { writeSafetensors } from '../../src/io/safetensors.js';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(n: number, scale: number, r: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * r() - 1) * scale;
  return out;
}

export interface TinyClip {
  readonly dir: string;
  readonly onnx: string;
  readonly dim: number;
  /** [dim, 3, 32, 32] */
  readonly convW: Float32Array;
  readonly convB: Float32Array;
  readonly clsScale: number;
  /** [dim] */
  readonly clsBias: Float32Array;
  /** [50, dim] */
  readonly pos: Float32Array;
}

/**
 * Write a tiny CLIP-vision-shaped model into `dir` (the folder layout of
 * Xenova/clip-vit-base-patch32). `patch` other than 32 gives another token count (for the
 * "not a ViT-B/32" check); the reference functions below assume 32.
 */
export function writeTinyClip(dir: string, dim = 8, seed = 1, patch = 32): TinyClip {
  const r = rng(seed);
  const grid = Math.floor(224 / patch);
  const tokens = grid * grid + 1;
  const convW = uniform(dim * 3 * patch * patch, 0.02 * (32 / patch), r);
  const convB = uniform(dim, 0.1, r);
  const clsScale = 0.5;
  const clsBias = uniform(dim, 1.5, r);
  const pos = uniform(tokens * dim, 0.3, r);
  const proj = uniform(dim * 4, 0.5, r);
  const bytes = encodeOnnxModel({
    name: 'tiny_clip_vision',
    opset: 17,
    inputs: [{ name: 'pixel_values', elemType: OnnxDataType.FLOAT, shape: ['batch_size', 3, 224, 224] }],
    outputs: [
      { name: 'image_embeds', elemType: OnnxDataType.FLOAT, shape: ['batch_size', 4] },
      { name: 'last_hidden_state', elemType: OnnxDataType.FLOAT, shape: ['batch_size', tokens, dim] },
    ],
    initializers: [
      { name: 'conv_w', dims: [dim, 3, patch, patch], data: convW },
      { name: 'conv_b', dims: [dim], data: convB },
      { name: 'flat_shape', dims: [3], data: new BigInt64Array([0n, BigInt(dim), BigInt(tokens - 1)]) },
      { name: 'cls_scale', dims: [1], data: new Float32Array([clsScale]) },
      { name: 'cls_bias', dims: [1, 1, dim], data: clsBias },
      { name: 'pos', dims: [1, tokens, dim], data: pos },
      { name: 'zero', dims: [], data: new BigInt64Array([0n]) },
      { name: 'proj', dims: [dim, 4], data: proj },
    ],
    nodes: [
      { op: 'Conv', inputs: ['pixel_values', 'conv_w', 'conv_b'], outputs: ['patch_map'], attrs: { kernel_shape: { ints: [patch, patch] }, strides: { ints: [patch, patch] } } },
      { op: 'Reshape', inputs: ['patch_map', 'flat_shape'], outputs: ['patch_flat'] },
      { op: 'Transpose', inputs: ['patch_flat'], outputs: ['patches'], attrs: { perm: { ints: [0, 2, 1] } } },
      { op: 'ReduceMean', inputs: ['patches'], outputs: ['patch_mean'], attrs: { axes: { ints: [1] }, keepdims: { i: 1 } } },
      { op: 'Mul', inputs: ['patch_mean', 'cls_scale'], outputs: ['cls_scaled'] },
      { op: 'Add', inputs: ['cls_scaled', 'cls_bias'], outputs: ['cls'] },
      { op: 'Concat', inputs: ['cls', 'patches'], outputs: ['tokens'], attrs: { axis: { i: 1 } } },
      { op: 'Add', inputs: ['tokens', 'pos'], outputs: ['embedded'] },
      { op: 'Tanh', inputs: ['embedded'], outputs: ['last_hidden_state'] },
      { op: 'Gather', inputs: ['last_hidden_state', 'zero'], outputs: ['pooled'], attrs: { axis: { i: 1 } } },
      { op: 'MatMul', inputs: ['pooled', 'proj'], outputs: ['image_embeds'] },
    ],
  });
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const onnx = join(dir, 'onnx', 'vision_model.onnx');
  writeFileSync(onnx, bytes);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'clip', vision_config: { hidden_size: dim, image_size: 224, patch_size: patch } }));
  writeFileSync(
    join(dir, 'preprocessor_config.json'),
    JSON.stringify({ crop_size: 224, do_center_crop: true, do_normalize: true, do_resize: true, image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711], resample: 3, size: 224 }),
  );
  return { dir, onnx, dim, convW, convB, clsScale, clsBias, pos };
}

/**
 * The tiny CLIP's E4 embedding computed directly in float64 from normalised pixels
 * (CHW, 3 × 224 × 224): conv → tokens → tanh → mean of tokens 1..49 → unit norm.
 */
export function tinyClipReference(m: TinyClip, pixels: Float32Array): Float64Array {
  const d = m.dim;
  const patches = new Float64Array(49 * d);
  for (let py = 0; py < 7; py++) {
    for (let px = 0; px < 7; px++) {
      for (let o = 0; o < d; o++) {
        let s = m.convB[o];
        for (let c = 0; c < 3; c++) {
          for (let ky = 0; ky < 32; ky++) {
            for (let kx = 0; kx < 32; kx++) {
              s += m.convW[((o * 3 + c) * 32 + ky) * 32 + kx] * pixels[c * 224 * 224 + (py * 32 + ky) * 224 + px * 32 + kx];
            }
          }
        }
        patches[(py * 7 + px) * d + o] = s;
      }
    }
  }
  const out = new Float64Array(d);
  for (let t = 0; t < 49; t++) for (let o = 0; o < d; o++) out[o] += Math.tanh(patches[t * d + o] + m.pos[(t + 1) * d + o]) / 49;
  const n = Math.hypot(...out);
  return out.map((v) => v / n);
}

/** The class token's hidden state (token 0), to show pooling leaves it out. */
export function tinyClipClassToken(m: TinyClip, pixels: Float32Array): Float64Array {
  const d = m.dim;
  const ref = new Float64Array(d);
  // patch mean through the same conv
  for (let o = 0; o < d; o++) {
    let s = 0;
    for (let t = 0; t < 49; t++) {
      const py = Math.floor(t / 7);
      const px = t % 7;
      let v = m.convB[o];
      for (let c = 0; c < 3; c++) for (let ky = 0; ky < 32; ky++) for (let kx = 0; kx < 32; kx++) v += m.convW[((o * 3 + c) * 32 + ky) * 32 + kx] * pixels[c * 224 * 224 + (py * 32 + ky) * 224 + px * 32 + kx];
      s += v / 49;
    }
    ref[o] = Math.tanh(s * m.clsScale + m.clsBias[o] + m.pos[o]);
  }
  return ref;
}

/** Tiny XLM-R vocabulary: the four special tokens at the XLM-R ids, pieces, then `<mask>`. */
export const TINY_PIECES: readonly [string, number][] = [
  ['<s>', 0], ['<pad>', 0], ['</s>', 0], ['<unk>', 0],
  ['▁the', -2], ['▁cat', -3], ['▁dog', -3.1], ['▁sat', -3.2], ['▁on', -2.5], ['▁mat', -3.4], ['▁a', -2.2], ['s', -3.5], ['▁', -2.8],
  ...'abcdefghijklmnopqrtuvwxyz'.split('').map((c): [string, number] => [c, -6]),
  ['<mask>', 0],
];

export function tinyTokenId(piece: string): number {
  const i = TINY_PIECES.findIndex(([p]) => p === piece);
  if (i < 0) throw new Error(`no piece ${piece}`);
  return i;
}

export interface TinyXlmr {
  readonly dir: string;
  readonly dim: number;
  readonly vocab: number;
  readonly word: Float32Array;
  readonly position: Float32Array;
  readonly tokenType: Float32Array;
  readonly lnW: Float32Array;
  readonly lnB: Float32Array;
  readonly eps: number;
}

/** Write a tiny XLM-R folder (model.safetensors, tokenizer.json, tokenizer_config.json, config.json). */
export function writeTinyXlmr(dir: string, opts: { dim?: number; prefix?: string; seed?: number; eps?: number } = {}): TinyXlmr {
  const dim = opts.dim ?? 6;
  const prefix = opts.prefix ?? 'roberta.';
  const eps = opts.eps ?? 1e-5;
  const r = rng(opts.seed ?? 7);
  const vocab = TINY_PIECES.length;
  const word = uniform(vocab * dim, 1, r);
  const position = uniform(514 * dim, 1, r);
  const tokenType = uniform(dim, 0.5, r);
  const lnW = Float32Array.from({ length: dim }, () => 0.5 + r());
  const lnB = uniform(dim, 0.2, r);
  mkdirSync(dir, { recursive: true });
  const e = `${prefix}embeddings.`;
  writeSafetensors(join(dir, 'model.safetensors'), {
    [`${e}word_embeddings.weight`]: { shape: [vocab, dim], data: word },
    [`${e}position_embeddings.weight`]: { shape: [514, dim], data: position },
    [`${e}token_type_embeddings.weight`]: { shape: [1, dim], data: tokenType },
    [`${e}LayerNorm.weight`]: { shape: [dim], data: lnW },
    [`${e}LayerNorm.bias`]: { shape: [dim], data: lnB },
    [`${prefix}encoder.layer.0.attention.self.query.weight`]: { shape: [dim, dim], data: uniform(dim * dim, 1, r) },
  }, { format: 'pt' });
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: content === '<mask>', rstrip: false, normalized: false, special: true });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<s>'), special(1, '<pad>'), special(2, '</s>'), special(3, '<unk>'), special(vocab - 1, '<mask>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 3, vocab: TINY_PIECES, byte_fallback: false },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', sep_token: '</s>', pad_token: '<pad>', cls_token: '<s>', mask_token: '<mask>', model_max_length: 512, tokenizer_class: 'XLMRobertaTokenizer' }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'xlm-roberta', hidden_size: dim, layer_norm_eps: eps, pad_token_id: 1, max_position_embeddings: 514, type_vocab_size: 1, vocab_size: vocab }));
  return { dir, dim, vocab, word, position, tokenType, lnW, lnB, eps };
}

/** E5 computed directly: tokens `ids` (with <s> … </s>), positions 2.., LayerNorm, mean over 1..L−1, unit norm. */
export function tinyXlmrReference(m: TinyXlmr, ids: readonly number[], positionOffset = 2): Float64Array {
  const d = m.dim;
  const out = new Float64Array(d);
  for (let t = 1; t < ids.length; t++) {
    const h = Array.from({ length: d }, (_, j) => m.word[ids[t] * d + j] + m.position[(t + positionOffset) * d + j] + m.tokenType[j]);
    const mu = h.reduce((a, b) => a + b, 0) / d;
    const v = h.reduce((a, b) => a + (b - mu) ** 2, 0) / d;
    for (let j = 0; j < d; j++) out[j] += ((h[j] - mu) / Math.sqrt(v + m.eps)) * m.lnW[j] + m.lnB[j];
  }
  const n = Math.hypot(...out);
  return out.map((x) => x / n);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return s / Math.sqrt(na * nb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
