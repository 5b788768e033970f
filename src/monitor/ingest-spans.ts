/**
 * LLM call spans exported as JSONL: OpenInference (what Arize Phoenix writes) and
 * OpenTelemetry GenAI semantic conventions. A line is either one span object
 *   { "name", "context": { "span_id" }, "start_time", "attributes": { … } }
 * (attributes as flat dotted keys, or nested objects/arrays, which are flattened the same way),
 * or an OTLP/JSON export { "resourceSpans": [{ "scopeSpans": [{ "spans": [...] }] }] } whose
 * attributes are `[{ "key", "value": { "stringValue" | "intValue" | … } }]`; such a line may
 * hold many spans.
 *
 * Attributes read:
 * - OpenInference: `llm.input_messages.N.message.role`, `…message.content` or
 *   `…message.contents.M.message_content.type` = text|image with `…message_content.text` and
 *   `…message_content.image.image.url`; the answer is `llm.output_messages.0.message.content`
 *   (or its `contents.M.message_content.text`). Spans whose `openinference.span.kind` is not
 *   LLM are skipped.
 * - OTel GenAI: `gen_ai.input.messages` / `gen_ai.output.messages` (JSON arrays of
 *   { role, parts: [{ type: text, content } | { type: blob, modality: image, mime_type, content }
 *   | { type: uri, modality: image, uri }] }).
 */
import { malformed, parseTime, type LineOutcome, type ParseContext, type TrafficImage, type TrafficRecord } from './traffic.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Flattens nested objects and arrays into dotted keys (`a.b.0.c`), keeping flat keys as they are. */
export function flattenAttributes(attrs: Obj): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (prefix: string, v: unknown): void => {
    if (isObj(v)) for (const [k, x] of Object.entries(v)) walk(prefix === '' ? k : `${prefix}.${k}`, x);
    else if (Array.isArray(v) && v.some((x) => isObj(x) || Array.isArray(x))) v.forEach((x, i) => walk(`${prefix}.${i}`, x));
    else out.set(prefix, v);
  };
  walk('', attrs);
  return out;
}

/** An OTLP AnyValue as a plain value. */
function anyValue(v: unknown): unknown {
  if (!isObj(v)) return v;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if (isObj(v.arrayValue)) return (Array.isArray(v.arrayValue.values) ? v.arrayValue.values : []).map(anyValue);
  if (isObj(v.kvlistValue)) return Object.fromEntries((Array.isArray(v.kvlistValue.values) ? v.kvlistValue.values : []).filter(isObj).map((kv) => [String(kv.key), anyValue(kv.value)]));
  return undefined;
}

interface RawSpan {
  readonly attributes: Map<string, unknown>;
  readonly start: unknown;
  readonly id: unknown;
  readonly where: string;
}

function otlpSpans(value: Obj): RawSpan[] | string {
  const out: RawSpan[] = [];
  if (!Array.isArray(value.resourceSpans)) return 'resourceSpans: expected an array';
  for (const [r, rs] of value.resourceSpans.entries()) {
    const scopes = isObj(rs) ? (rs.scopeSpans ?? rs.instrumentationLibrarySpans) : undefined;
    if (!Array.isArray(scopes)) return `resourceSpans[${r}].scopeSpans: expected an array`;
    for (const [s, ss] of scopes.entries()) {
      const spans = isObj(ss) ? ss.spans : undefined;
      if (!Array.isArray(spans)) return `resourceSpans[${r}].scopeSpans[${s}].spans: expected an array`;
      for (const [k, sp] of spans.entries()) {
        const where = `resourceSpans[${r}].scopeSpans[${s}].spans[${k}]`;
        if (!isObj(sp)) return `${where}: expected an object`;
        const list = sp.attributes ?? [];
        if (!Array.isArray(list)) return `${where}.attributes: expected an array of {key, value}`;
        const attrs: Obj = {};
        for (const kv of list) if (isObj(kv) && typeof kv.key === 'string') attrs[kv.key] = anyValue(kv.value);
        out.push({ attributes: flattenAttributes(attrs), start: sp.startTimeUnixNano ?? sp.start_time, id: sp.spanId ?? sp.span_id, where });
      }
    }
  }
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface Extracted {
  readonly question: string;
  readonly imageUrl: string | undefined;
  readonly answer: string | undefined;
}

/** OpenInference flattened messages → the last user message's text and image, and the output text. */
function fromOpenInference(a: Map<string, unknown>): Extracted | undefined {
  const msg = /^llm\.input_messages\.(\d+)\.message\.role$/;
  let lastUser = -1;
  for (const [k, v] of a) {
    const m = msg.exec(k);
    if (m && v === 'user') lastUser = Math.max(lastUser, Number(m[1]));
  }
  if (lastUser < 0) return undefined;
  const base = `llm.input_messages.${lastUser}.message`;
  const texts: string[] = [];
  let imageUrl: string | undefined;
  const plain = str(a.get(`${base}.content`));
  if (plain !== undefined) texts.push(plain);
  for (let j = 0; ; j++) {
    const p = `${base}.contents.${j}.message_content`;
    const type = a.get(`${p}.type`);
    if (type === undefined) break;
    if (type === 'text') texts.push(str(a.get(`${p}.text`)) ?? '');
    if (type === 'image' && imageUrl === undefined) imageUrl = str(a.get(`${p}.image.image.url`));
  }
  const out = 'llm.output_messages.0.message';
  let answer = str(a.get(`${out}.content`));
  if (answer === undefined) {
    const parts: string[] = [];
    for (let j = 0; a.has(`${out}.contents.${j}.message_content.type`); j++) {
      const t = str(a.get(`${out}.contents.${j}.message_content.text`));
      if (t !== undefined) parts.push(t);
    }
    if (parts.length > 0) answer = parts.join('\n');
  }
  return { question: texts.join('\n'), imageUrl, answer };
}

function jsonArray(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v !== 'string') return undefined;
  try {
    const parsed = JSON.parse(v) as unknown;
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** OTel GenAI `gen_ai.input.messages` / `gen_ai.output.messages` (given as JSON text or, flattened, rebuilt by the caller). */
function fromGenAi(input: unknown[], output: unknown[] | undefined): Extracted | undefined {
  const user = [...input].reverse().find((m) => isObj(m) && m.role === 'user') as Obj | undefined;
  if (!user || !Array.isArray(user.parts)) return undefined;
  const texts: string[] = [];
  let imageUrl: string | undefined;
  for (const p of user.parts) {
    if (!isObj(p)) continue;
    if (p.type === 'text' && typeof p.content === 'string') texts.push(p.content);
    if (imageUrl !== undefined || (p.modality !== undefined && p.modality !== 'image')) continue;
    if (p.type === 'blob' && typeof p.content === 'string') imageUrl = `data:${str(p.mime_type) ?? 'image/png'};base64,${p.content}`;
    if (p.type === 'uri' && typeof p.uri === 'string') imageUrl = p.uri;
  }
  let answer: string | undefined;
  const first = output?.find((m) => isObj(m)) as Obj | undefined;
  if (first && Array.isArray(first.parts)) {
    const t = first.parts.filter((p) => isObj(p) && p.type === 'text' && typeof p.content === 'string').map((p) => (p as { content: string }).content);
    if (t.length > 0) answer = t.join('\n');
  }
  return { question: texts.join('\n'), imageUrl, answer };
}

/** `gen_ai.input.messages` as an array: a JSON string, or nested attributes flattened to `gen_ai.input.messages.N…`. */
function genAiMessages(a: Map<string, unknown>, key: string): unknown[] | undefined {
  const direct = jsonArray(a.get(key));
  if (direct) return direct;
  const nested: Obj = {};
  for (const [k, v] of a) {
    if (!k.startsWith(`${key}.`)) continue;
    const path = k.slice(key.length + 1).split('.');
    let o: Obj = nested;
    for (let i = 0; i < path.length - 1; i++) o = (o[path[i]] ??= {}) as Obj;
    o[path[path.length - 1]] = v;
  }
  if (Object.keys(nested).length === 0) return undefined;
  const toArrays = (v: unknown): unknown => {
    if (!isObj(v)) return v;
    const keys = Object.keys(v);
    if (keys.every((k) => /^\d+$/.test(k))) return keys.sort((x, y) => Number(x) - Number(y)).map((k) => toArrays(v[k]));
    return Object.fromEntries(keys.map((k) => [k, toArrays(v[k])]));
  };
  const arr = toArrays(nested);
  return Array.isArray(arr) ? arr : undefined;
}

function spanRecord(span: RawSpan, line: number, ctx: ParseContext, index: number, count: number): TrafficRecord | { skip: string } | { error: string } {
  const a = span.attributes;
  const kind = a.get('openinference.span.kind');
  if (kind !== undefined && String(kind).toUpperCase() !== 'LLM') return { skip: 'span is not an LLM call' };
  let ex = fromOpenInference(a);
  if (!ex) {
    const input = genAiMessages(a, 'gen_ai.input.messages');
    if (input) ex = fromGenAi(input, genAiMessages(a, 'gen_ai.output.messages'));
  }
  if (!ex) return { skip: 'span has no LLM input messages' };
  if (ex.imageUrl === undefined) return { skip: 'no image in the request' };
  if (ex.answer === undefined || ex.answer.trim() === '') return { skip: 'no output message' };
  if (ex.question.trim() === '') return { skip: 'empty question' };
  const image = ctx.resolveImage(ex.imageUrl);
  if ('skip' in image) return image;
  if ('error' in image) return { error: `${span.where}: image url: ${image.error}` };
  const time = span.start === undefined ? null : parseTime(span.start);
  if (time === undefined) return { error: `${span.where}: start time: expected an ISO 8601 date or epoch nanoseconds, found ${JSON.stringify(span.start)}` };
  const id = typeof span.id === 'string' && span.id !== '' ? span.id : count > 1 ? `line-${line}-${index}` : `line-${line}`;
  return { id, line, time, question: ex.question, image: image as TrafficImage, answer: ex.answer };
}

export function parseSpanLine(value: unknown, line: number, ctx: ParseContext): LineOutcome {
  if (!isObj(value)) return malformed('line', 'a span object or an OTLP export object', value);
  let spans: RawSpan[];
  if ('resourceSpans' in value) {
    const s = otlpSpans(value);
    if (typeof s === 'string') return { kind: 'malformed', message: s };
    spans = s;
  } else {
    if (value.attributes === undefined) return malformed('attributes', 'an object of span attributes');
    if (!isObj(value.attributes)) return malformed('attributes', 'an object of span attributes', value.attributes);
    const context = isObj(value.context) ? value.context : {};
    spans = [{ attributes: flattenAttributes(value.attributes), start: value.start_time ?? value.startTimeUnixNano, id: context.span_id ?? value.span_id ?? value.spanId, where: 'span' }];
  }
  const records: TrafficRecord[] = [];
  const skipped: string[] = [];
  for (const [i, sp] of spans.entries()) {
    const r = spanRecord(sp, line, ctx, i, spans.length);
    if ('error' in r) return { kind: 'malformed', message: r.error };
    if ('skip' in r) skipped.push(r.skip);
    else records.push(r);
  }
  if (records.length === 0 && skipped.length <= 1) return { kind: 'skipped', reason: skipped[0] ?? 'no spans' };
  return { kind: 'records', records, skipped };
}
