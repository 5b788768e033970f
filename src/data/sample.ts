/**
 * The one sample schema every loader produces and every stage consumes.
 *
 * On disk, a *dataset directory* (what `shift --out` writes and `infer/judge/embed --dataset`
 * read) holds `samples.jsonl` — one JSON object per line with the fields below in snake_case
 * (`id`, `image` (path relative to the directory), `question`, `reference_answer`, `category`,
 * `context`) — next to the image files and a `manifest.json` describing how it was made.
 */
export type QuestionCategory = 'conv' | 'detail' | 'complex' | string;

/** Where a sample's image is: a file on disk, or bytes already in memory (parquet). */
export type ImageRef =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly name?: string };

export interface Sample {
  /** Unique within a data set; matches `question_id` in answer files. */
  readonly id: string;
  readonly image: ImageRef;
  readonly question: string;
  /** Reference ("ground truth", e.g. GPT-4) answer; may be absent when references come from a model. */
  readonly referenceAnswer?: string;
  /** LLaVA-Bench question type: conv | detail | complex (others allowed). */
  readonly category?: QuestionCategory;
  /** Image context for a text-only judge (captions, description). */
  readonly context?: string;
}
