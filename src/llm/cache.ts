/**
 * A persistent cache of chat responses (SQLite, via better-sqlite3), so that a request that was
 * already answered — same model, same generation parameters, same messages, same images — is
 * answered again without calling the endpoint. The key is the SHA-256 of a canonical JSON of
 * the request in which each image is replaced by the SHA-256 of its data URL (its bytes and
 * media type), so keys stay small and images are never stored. The endpoint's base URL is
 * part of the key (an answer of one server never stands in for another's); the API key is not,
 * and nothing secret is stored. Sampled requests (temperature > 0) are neither read from nor
 * written to the cache unless the cache is opened with `sampled: true`: asking again is meant
 * to give another draw.
 *
 * Several processes may share one cache file (WAL mode, busy timeout).
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { InputError } from '../errors.js';
import type { ChatClient, ChatRequest, ChatResult } from './client.js';

const SCHEMA_VERSION = 1;

export interface CachedResponse {
  readonly text: string;
  readonly finishReason: string | null;
  readonly model: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The cache key of a request sent to `endpoint` (a base URL), as hex SHA-256. */
export function requestKey(request: ChatRequest, endpoint: string): string {
  const messages = request.messages.map((m) => ({
    role: m.role,
    content: typeof m.content === 'string'
      ? m.content
      : m.content.map((p) => (p.type === 'text'
        ? { type: 'text', text: p.text }
        : { type: 'image', sha256: sha256Hex(p.image_url.url), detail: p.image_url.detail ?? null })),
  }));
  const canonical = JSON.stringify({
    v: SCHEMA_VERSION,
    endpoint,
    model: request.model,
    max_tokens: request.maxTokens ?? null,
    temperature: request.temperature ?? null,
    top_p: request.topP ?? null,
    seed: request.seed ?? null,
    messages,
  });
  return sha256Hex(canonical);
}

/** Where the cache lives unless told otherwise: $MLLMSHIFT_CACHE_DIR, else $XDG_CACHE_HOME/mllmshift, else ~/.cache/mllmshift. */
export function defaultCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.MLLMSHIFT_CACHE_DIR
    ?? join(env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache'), 'mllmshift');
  return join(dir, 'chat-responses.sqlite');
}

/** A request drawn at random (temperature > 0), which the cache skips unless told otherwise. */
export function isSampled(request: ChatRequest): boolean {
  return request.temperature !== undefined && request.temperature > 0;
}

export class ResponseCache {
  readonly path: string;
  /** Whether sampled requests (temperature > 0) are cached too. */
  readonly sampled: boolean;
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], { text: string; finish_reason: string | null; model: string }>;
  private readonly putStmt: Database.Statement<[string, string, string, string | null, string]>;

  constructor(path: string, options: { readonly sampled?: boolean } = {}) {
    this.path = path;
    this.sampled = options.sampled ?? false;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('busy_timeout = 10000');
      this.db.pragma('journal_mode = WAL');
      // A cache may lose its last entries in an OS crash (never in a process kill); that costs
      // a repeated request, not data, and saves an fsync per response.
      this.db.pragma('synchronous = NORMAL');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== 0 && version !== SCHEMA_VERSION) {
        throw new InputError(`response cache ${path} has schema version ${version}, expected ${SCHEMA_VERSION}; use another --cache file`);
      }
      this.db.exec(`CREATE TABLE IF NOT EXISTS chat_responses (
        key TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        text TEXT NOT NULL,
        finish_reason TEXT,
        created_at TEXT NOT NULL
      )`);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`cannot open response cache ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.getStmt = this.db.prepare('SELECT text, finish_reason, model FROM chat_responses WHERE key = ?');
    this.putStmt = this.db.prepare(
      'INSERT OR REPLACE INTO chat_responses (key, model, text, finish_reason, created_at) VALUES (?, ?, ?, ?, ?)',
    );
  }

  get(key: string): CachedResponse | undefined {
    const row = this.getStmt.get(key);
    return row ? { text: row.text, finishReason: row.finish_reason, model: row.model } : undefined;
  }

  put(key: string, value: CachedResponse): void {
    this.putStmt.run(key, value.model, value.text, value.finishReason, new Date().toISOString());
  }

  /** Number of cached responses. */
  size(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM chat_responses').get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}

export interface CompletionOutcome {
  readonly result: CachedResponse;
  /** True when the answer came from the cache, without a request. */
  readonly cached: boolean;
}

/**
 * Answers `request` from `cache` if it holds it; otherwise asks `client` and stores the answer
 * when `accept` approves it (a judge reply that cannot be parsed is not cached, so that asking
 * again can give a different one).
 */
export async function completeCached(
  client: ChatClient,
  cache: ResponseCache | undefined,
  request: ChatRequest,
  options: { signal?: AbortSignal; accept?: (r: ChatResult) => boolean } = {},
): Promise<CompletionOutcome> {
  const use = cache !== undefined && (cache.sampled || !isSampled(request)) ? cache : undefined;
  const key = use ? requestKey(request, client.baseURL) : '';
  const hit = use?.get(key);
  if (hit) return { result: client.redactResult(hit), cached: true };
  const result = await client.complete(request, options.signal);
  if (use && (options.accept?.(result) ?? true)) {
    use.put(key, { text: result.text, finishReason: result.finishReason, model: result.model });
  }
  return { result, cached: false };
}
