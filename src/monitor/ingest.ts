/**
 * One entry point for reading traffic logs: the format's line parser plus the image resolver,
 * streamed by `streamTraffic` (traffic.ts).
 */
import { llavaAnswerParser, readLlavaQuestions } from './ingest-llava.js';
import { parseOpenAiLine } from './ingest-openai.js';
import { parseSpanLine } from './ingest-spans.js';
import { imageResolver, streamTraffic, type IngestSummary, type LineParser, type StreamOptions, type TrafficRecord } from './traffic.js';

export const TRAFFIC_FORMATS = ['openai', 'spans', 'llava'] as const;
export type TrafficFormat = (typeof TRAFFIC_FORMATS)[number];

export interface TrafficSource {
  readonly format: TrafficFormat;
  /** The log (for llava: the answer file). */
  readonly path: string;
  /** Folder that image paths in the log are relative to (and must lie inside). */
  readonly images?: string;
  /** llava: the questions file the answers were made from. */
  readonly questions?: string;
}

function parserFor(source: TrafficSource): LineParser {
  if (source.format === 'openai') return parseOpenAiLine;
  if (source.format === 'spans') return parseSpanLine;
  return llavaAnswerParser(readLlavaQuestions(source.questions ?? ''));
}

/** Streams every record of the log to `onRecord`; returns the counts (records, malformed, skipped by reason). */
export function readTraffic(source: TrafficSource, onRecord: (r: TrafficRecord) => void | Promise<void>, opts: StreamOptions = {}): Promise<IngestSummary> {
  return streamTraffic(source.path, parserFor(source), { resolveImage: imageResolver(source.images) }, onRecord, opts);
}
