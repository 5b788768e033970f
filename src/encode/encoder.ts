/**
 * The encoder interface. An encoder turns decoded images and texts into L2-normalised
 * embeddings of one common dimension (E6 averages an image and a text embedding, so both
 * modalities must share it). Any code can implement it; the project ships the paper's
 * encoders (CLIP ViT-B/32 + XLM-R embedding layer, `paper`) and weight-free stand-ins
 * (`builtin`).
 *
 * `id` and `version` identify what produced an embedding: they key the embedding cache and
 * are recorded in every embedding set's metadata. Change the version whenever the output for
 * the same input can change (recipe, weights, tokenizer).
 */
import type { Matrix } from '../core/matrix.js';
import type { Rgb8Image } from '../io/image.js';

export interface EncoderIdentity {
  readonly id: string;
  readonly version: string;
}

export interface ImageEncoder extends EncoderIdentity {
  /** Output dimension. */
  readonly dim: number;
  /** One unit-norm row per image, in order. */
  embedImages(images: readonly Rgb8Image[]): Promise<Matrix<Float32Array>>;
  /** Release native resources (sessions, file handles); optional. */
  dispose?(): Promise<void>;
}

export interface TextEncoder extends EncoderIdentity {
  readonly dim: number;
  /** One unit-norm row per text, in order. */
  embedTexts(texts: readonly string[]): Promise<Matrix<Float32Array>>;
  dispose?(): Promise<void>;
}

/** An image encoder and a text encoder used together (`embedImages` and `embedTexts`). */
export interface Encoder extends ImageEncoder, TextEncoder {
  /**
   * What each half is (cache namespaces, embedding-set metadata). When absent, both halves are
   * identified by the encoder's own id and version.
   */
  readonly parts?: { readonly image: EncoderIdentity; readonly text: EncoderIdentity };
}

/** Ids of the paper's encoders (E4, E5): the identity `CLUB_global.pt` was trained for. */
export const CLIP_ENCODER_ID = 'clip-vit-b32-patch-mean';
export const XLMR_ENCODER_ID = 'xlm-roberta-base-embedding-mean';

/** The identities of an encoder's image and text halves. */
export function encoderParts(e: Encoder): { readonly image: EncoderIdentity; readonly text: EncoderIdentity } {
  return e.parts ?? { image: { id: e.id, version: e.version }, text: { id: e.id, version: e.version } };
}

/** Combine an image encoder and a text encoder of the same dimension into one Encoder. */
export function combineEncoders(id: string, image: ImageEncoder, text: TextEncoder): Encoder {
  if (image.dim !== text.dim) {
    throw new RangeError(`encoders ${image.id} (dim ${image.dim}) and ${text.id} (dim ${text.dim}) must share one dimension (E6: x = (z_v + z_t)/2)`);
  }
  return {
    id,
    version: `${image.id}@${image.version}+${text.id}@${text.version}`,
    dim: image.dim,
    parts: { image: { id: image.id, version: image.version }, text: { id: text.id, version: text.version } },
    embedImages: (images) => image.embedImages(images),
    embedTexts: (texts) => text.embedTexts(texts),
    dispose: async () => {
      await image.dispose?.();
      await text.dispose?.();
    },
  };
}

/** Scale each row of a float64 accumulator to unit L2 norm, as float32 (zero rows stay zero). */
export function normalizeRowsF32(rows: number, cols: number, acc: Float64Array): Matrix<Float32Array> {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += acc[o + j] * acc[o + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < cols; j++) out[o + j] = acc[o + j] * inv;
  }
  return { rows, cols, data: out };
}
