/**
 * Logged traffic of a deployed MLLM, as `mllmshift monitor` reads it: one record per request
 * (image, question, the deployed model's answer, when it happened), streamed line by line from
 * a JSONL log in one of three formats (see ingest-openai.ts, ingest-spans.ts, ingest-llava.ts).
 *
 * Nothing is lost silently. Every line ends up in exactly one of three counts:
 * - records: parsed and usable;
 * - malformed: not JSON, or a field of the wrong type — one error line each, naming the file,
 *   the line and the field, and what was expected;
 * - skipped: well-formed but not measurable (no image, an error response, a span that is not
 *   an LLM call, an image URL on the network), counted by reason.
 * (An OTLP line holding several spans counts each span as a record or a skip.)
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import type { ImageRef } from '../data/sample.js';

/** Where a logged request's image is: inline (a data URL) or a file under the images folder. */
export type TrafficImage = { readonly kind: 'data-url'; readonly url: string } | { readonly kind: 'file'; readonly path: string };

export interface TrafficRecord {
  /** The request's id in the log (or `line-N` when it has none). */
  readonly id: string;
  /** 1-based line of the log it came from. */
  readonly line: number;
  /** When it happened, ms since the epoch; null when the log does not say. */
  readonly time: number | null;
  readonly question: string;
  readonly image: TrafficImage;
  /** The deployed model's answer. */
  readonly answer: string;
}

/** What one line held: records, a skip reason, or a malformed-line message. */
export type LineOutcome =
  | { readonly kind: 'records'; readonly records: readonly TrafficRecord[]; readonly skipped?: readonly string[] }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'malformed'; readonly message: string };

export interface IngestIssue {
  readonly line: number;
  readonly message: string;
}

export interface IngestSummary {
  readonly file: string;
  readonly lines: number;
  readonly records: number;
  readonly malformed: number;
  /** Skipped lines by reason. */
  readonly skipped: Readonly<Record<string, number>>;
  /** The first malformed lines (up to `keepIssues`), in order. */
  readonly issues: readonly IngestIssue[];
}

/** A line parser for one format; `ctx` resolves image references. */
export type LineParser = (value: unknown, line: number, ctx: ParseContext) => LineOutcome;

export interface ParseContext {
  readonly resolveImage: (url: string) => TrafficImage | { readonly skip: string } | { readonly error: string };
}

/** A malformed-line outcome whose message names the field. */
export function malformed(field: string, expected: string, found?: unknown): LineOutcome {
  const what = found === undefined ? 'missing' : `found ${describe(found)}`;
  return { kind: 'malformed', message: `${field}: expected ${expected}, ${what}` };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** Milliseconds since the epoch from an ISO date string, epoch seconds, ms or ns; undefined if unreadable. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v > 1e17 ? v / 1e6 : v > 1e11 ? v : v * 1000;
  if (typeof v === 'string' && v.trim() !== '') {
    if (/^\d+$/.test(v.trim())) return parseTime(Number(v.trim()));
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

/**
 * Image references in logs: `data:` URLs are kept inline; `file://` URLs and plain paths must lie
 * inside `imagesRoot` (relative paths are taken from it); http(s) URLs are not fetched
 * (monitoring reads only the data the user named) and the line is skipped.
 */
export function imageResolver(imagesRoot: string | undefined): ParseContext['resolveImage'] {
  const root = imagesRoot === undefined ? undefined : resolve(imagesRoot);
  return (url) => {
    if (/^data:image\/[a-z0-9.+-]+;base64,/i.test(url)) return { kind: 'data-url', url };
    if (url.startsWith('data:')) return { error: 'expected a base64 data:image/… URL' };
    if (/^https?:\/\//i.test(url)) return { skip: 'image on the network (not fetched)' };
    let p = url;
    if (url.startsWith('file://')) {
      try {
        p = fileURLToPath(url);
      } catch {
        return { error: `"${url.slice(0, 60)}" is not a valid file:// URL` };
      }
    }
    if (root === undefined) return { error: `image path "${p.slice(0, 60)}" given but the config names no images folder (traffic.images)` };
    const abs = isAbsolute(p) ? resolve(p) : resolve(root, p);
    const rel = relative(root, abs);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return { error: `image path "${p.slice(0, 60)}" is outside the images folder ${root}` };
    return { kind: 'file', path: abs };
  };
}

/** The image as the encoders' ImageRef (a data URL is decoded here, only for rows that are analysed). */
export function imageRef(image: TrafficImage, id: string): ImageRef {
  if (image.kind === 'file') return { kind: 'file', path: image.path };
  const comma = image.url.indexOf(',');
  return { kind: 'bytes', bytes: new Uint8Array(Buffer.from(image.url.slice(comma + 1), 'base64')), name: `request ${id}` };
}

export interface StreamOptions {
  /** Malformed lines kept with their messages (all are counted); default 20. */
  readonly keepIssues?: number;
  /** Called for each malformed line as it is found (e.g. to print it). */
  readonly onIssue?: (issue: IngestIssue) => void;
}

/**
 * Streams `file` line by line through `parse`, calling `onRecord` for every record (awaited, so
 * the consumer sets the pace and memory stays bounded). Blank lines are ignored.
 */
export async function streamTraffic(
  file: string,
  parse: LineParser,
  ctx: ParseContext,
  onRecord: (r: TrafficRecord) => void | Promise<void>,
  opts: StreamOptions = {},
): Promise<IngestSummary> {
  if (!existsSync(file)) throw new InputError(`${file}: traffic log not found`);
  if (!statSync(file).isFile()) throw new InputError(`${file}: not a regular file`);
  const keep = opts.keepIssues ?? 20;
  const skipped: Record<string, number> = {};
  const issues: IngestIssue[] = [];
  let lines = 0;
  let records = 0;
  let bad = 0;
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const raw of rl) {
    lines += 1;
    const text = raw.trim();
    if (text === '') continue;
    let value: unknown;
    let outcome: LineOutcome;
    try {
      value = JSON.parse(text);
      outcome = parse(value, lines, ctx);
    } catch {
      outcome = { kind: 'malformed', message: `not valid JSON (${text.slice(0, 60)}${text.length > 60 ? '…' : ''})` };
    }
    if (outcome.kind === 'malformed') {
      bad += 1;
      const issue = { line: lines, message: `${file}:${lines}: ${outcome.message}` };
      if (issues.length < keep) issues.push(issue);
      opts.onIssue?.(issue);
    } else if (outcome.kind === 'skipped') {
      skipped[outcome.reason] = (skipped[outcome.reason] ?? 0) + 1;
    } else {
      for (const reason of outcome.skipped ?? []) skipped[reason] = (skipped[reason] ?? 0) + 1;
      for (const r of outcome.records) {
        records += 1;
        await onRecord(r);
      }
    }
  }
  return { file, lines, records, malformed: bad, skipped, issues };
}

/** Text of OpenAI-style content: a string, or the `text` parts of an array; undefined if neither. */
export function textOfContent(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts: string[] = [];
  for (const p of content) {
    if (p && typeof p === 'object' && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string') texts.push((p as { text: string }).text);
  }
  return texts.join('\n');
}
