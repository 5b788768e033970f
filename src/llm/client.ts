/**
 * An OpenAI-compatible chat-completions client (vLLM, SGLang, llama.cpp server, Ollama, OpenAI,
 * Azure-style endpoints), built on `openai@6` with our own retry loop so that every stage that
 * talks to a model (response collection, the LLM judge, question translation) shares the same
 * behaviour:
 * - at most `concurrency` requests in flight (the slot is held through the retries of a request);
 * - a timeout covering the whole request, body included;
 * - retries on 408/409/429/5xx, network errors, timeouts and malformed replies, with
 *   exponential backoff and jitter, or the wait the server asks for in `Retry-After`;
 * - the API key is taken as a value (read it with `apiKeyFromEnv`), sent only in request
 *   headers, and removed — before any shortening — from every text that leaves the client:
 *   error messages, retry reasons and the reply's text, model and finish reason (so it is
 *   neither printed nor stored in answer files or the cache).
 */
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { RemoteError, UsageError } from '../errors.js';
import { Limiter } from './limiter.js';
import { DEFAULT_RETRY_POLICY, backoffDelayMs, retryAfterMs, sleep, type RetryPolicy } from './retry.js';

export type ChatContentPart =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'image_url'; readonly image_url: { readonly url: string; readonly detail?: 'auto' | 'low' | 'high' } };

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string | readonly ChatContentPart[];
}

/** One chat-completion request: the model, the messages and the generation parameters. */
export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly seed?: number;
}

export interface ChatResult {
  readonly text: string;
  readonly finishReason: string | null;
  /** The model name the server reported (may differ from the one requested). */
  readonly model: string;
  /** Requests made, 1 when the first attempt succeeded. */
  readonly attempts: number;
}

export type ChatFailureKind = 'http' | 'timeout' | 'network' | 'malformed' | 'no-content';

/** A chat request that failed for good (after retries, or at once when not retryable). */
export class ChatRequestError extends RemoteError {
  readonly kind: ChatFailureKind;
  readonly status: number | undefined;
  readonly attempts: number;
  constructor(message: string, kind: ChatFailureKind, status: number | undefined, attempts: number) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.attempts = attempts;
  }
}

export interface RetryEvent {
  /** 1 for the first retry. */
  readonly retry: number;
  readonly delayMs: number;
  /** Why the attempt failed, e.g. "HTTP 429" or "timeout after 30000 ms". */
  readonly reason: string;
  /** Retries allowed in all. */
  readonly maxRetries: number;
  /** The wait the server asked for (Retry-After) when it was longer than the cap and cut to delayMs. */
  readonly askedMs?: number;
}

export interface ChatClientOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:8000/v1 (a query string, e.g. `?api-version=…`, is kept). */
  readonly baseURL: string;
  /** The key itself (not its variable name); omit for servers that need none. */
  readonly apiKey?: string;
  /** Requests in flight at most; default 4. */
  readonly concurrency?: number;
  /** Timeout of one attempt, headers and body, in ms; default 300 000. */
  readonly timeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Called before each retry's wait (for progress logs). */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Source of jitter, u in [0, 1); default Math.random. */
  readonly random?: () => number;
}

interface AttemptFailure {
  readonly kind: ChatFailureKind;
  readonly retryable: boolean;
  readonly status?: number;
  readonly reason: string;
  readonly waitMs?: number;
}

const NO_KEY = 'no-key';
/** Longest server reason kept in a message (after redaction). */
const REASON_CHARS = 300;

/**
 * `text` with every occurrence of `secret` replaced by `***` — also its JSON-escaped and
 * URL-encoded spellings, the forms a server echoing a header or a body might use.
 */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret || secret === NO_KEY) return text;
  let out = text;
  for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])) {
    out = out.split(form).join('***');
  }
  return out;
}

/**
 * Reads an API key from the environment variable `name`. Returns undefined when the variable is
 * unset or empty, unless `required`, in which case that is a UsageError (naming the variable,
 * never a value).
 */
export function apiKeyFromEnv(name: string, required: boolean, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new UsageError(`--api-key-env: "${name}" is not an environment variable name`);
  }
  const value = env[name];
  if (value === undefined || value === '') {
    if (required) throw new UsageError(`environment variable ${name} (the API key) is not set`);
    return undefined;
  }
  return value;
}

/** Splits a base URL into the URL proper and its query parameters (Azure's `api-version`). */
export function parseBaseUrl(raw: string): { baseURL: string; query: Record<string, string>; azure: boolean } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--base-url: "${raw}" is not a URL (expected e.g. http://127.0.0.1:8000/v1)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--base-url: "${raw}" must be an http:// or https:// URL`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('--base-url must not contain credentials; put the key in an environment variable and name it with --api-key-env');
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  url.search = '';
  url.hash = '';
  const baseURL = url.toString().replace(/\/+$/, '');
  return { baseURL, query, azure: /\.azure\.com$/i.test(url.hostname) };
}

export class ChatClient {
  readonly baseURL: string;
  private readonly sdk: OpenAI;
  private readonly limiter: Limiter;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly secret: string | undefined;
  private readonly onRetry: ((e: RetryEvent) => void) | undefined;
  private readonly random: () => number;

  constructor(options: ChatClientOptions) {
    const { baseURL, query, azure } = parseBaseUrl(options.baseURL);
    this.baseURL = baseURL;
    this.secret = options.apiKey;
    const timeoutMs = options.timeoutMs ?? 300_000;
    if (!(timeoutMs > 0)) throw new UsageError(`timeout must be > 0 ms, got ${timeoutMs}`);
    this.timeoutMs = Math.ceil(timeoutMs);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.limiter = new Limiter(options.concurrency ?? 4);
    this.onRetry = options.onRetry;
    this.random = options.random ?? Math.random;
    const headers: Record<string, string> = {};
    if (azure && options.apiKey) headers['api-key'] = options.apiKey;
    this.sdk = new OpenAI({
      baseURL,
      apiKey: options.apiKey ?? NO_KEY,
      organization: null,
      project: null,
      defaultQuery: Object.keys(query).length > 0 ? query : undefined,
      defaultHeaders: headers,
      maxRetries: 0,
      timeout: this.timeoutMs,
      logLevel: 'off',
    });
  }

  /** The concurrency limit. */
  get concurrency(): number {
    return this.limiter.limit;
  }

  /** Largest number of requests that were ever in flight together. */
  get peakConcurrency(): number {
    return this.limiter.peak;
  }

  /** Removes the API key from a text (servers may echo request headers in any reply). */
  redact(text: string): string {
    return redactSecret(text, this.secret);
  }

  /** A reply with the key removed from every text field (also for replies read from a cache). */
  redactResult<R extends { text: string; model: string; finishReason: string | null }>(r: R): R {
    return {
      ...r,
      text: this.redact(r.text),
      model: this.redact(r.model),
      finishReason: r.finishReason === null ? null : this.redact(r.finishReason),
    };
  }

  /**
   * Sends one chat completion and returns the first choice's text. Throws ChatRequestError when
   * the request fails for good; rethrows the abort reason if `signal` aborts.
   */
  complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    return this.limiter.run(() => this.completeWithRetries(request, signal));
  }

  private async completeWithRetries(request: ChatRequest, signal: AbortSignal | undefined): Promise<ChatResult> {
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const outcome = await this.attempt(request, signal);
      if ('text' in outcome) return this.redactResult({ ...outcome, attempts: attempt });
      const retriesDone = attempt - 1;
      if (!outcome.retryable || retriesDone >= this.policy.maxRetries) {
        const tries = attempt === 1 ? '' : ` after ${attempt} attempts`;
        throw new ChatRequestError(
          `chat completion at ${this.baseURL} (model "${request.model}") failed${tries}: ${this.shortReason(outcome.reason)}`,
          outcome.kind,
          outcome.status,
          attempt,
        );
      }
      const delayMs = outcome.waitMs !== undefined
        ? Math.min(outcome.waitMs, this.policy.maxRetryAfterMs)
        : backoffDelayMs(retriesDone, this.policy, this.random);
      const askedMs = outcome.waitMs !== undefined && outcome.waitMs > delayMs ? outcome.waitMs : undefined;
      this.onRetry?.({ retry: attempt, delayMs, reason: this.shortReason(outcome.reason), maxRetries: this.policy.maxRetries, ...(askedMs !== undefined ? { askedMs } : {}) });
      await sleep(delayMs, signal);
    }
  }

  private async attempt(request: ChatRequest, signal: AbortSignal | undefined): Promise<Omit<ChatResult, 'attempts'> | AttemptFailure> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let completion: unknown;
    try {
      completion = await this.sdk.chat.completions.create(toWireRequest(request), {
        signal: combined,
        timeout: this.timeoutMs,
        maxRetries: 0,
      });
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      return this.classify(e, timeout.aborted);
    }
    return parseCompletion(completion, request.model);
  }

  /** A server's reason as one line: the key removed first, then cut to REASON_CHARS. */
  private shortReason(reason: string): string {
    const line = this.redact(reason).replace(/\s+/g, ' ').trim();
    return line.length > REASON_CHARS ? `${line.slice(0, REASON_CHARS)}…` : line;
  }

  private classify(e: unknown, timedOut: boolean): AttemptFailure {
    if (timedOut || e instanceof APIUserAbortError) {
      return { kind: 'timeout', retryable: true, reason: `timeout after ${this.timeoutMs} ms` };
    }
    if (e instanceof APIConnectionError) {
      const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
      const timeoutLike = /timed? ?out/i.test(e.message);
      return { kind: timeoutLike ? 'timeout' : 'network', retryable: true, reason: `${e.message}${cause}` };
    }
    if (e instanceof APIError && typeof e.status === 'number') {
      const status = e.status;
      const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
      const detail = errorDetail(e);
      return {
        kind: 'http',
        retryable,
        status,
        reason: `HTTP ${status}${detail ? `: ${detail}` : ''}`,
        waitMs: retryable ? retryAfterMs(e.headers) : undefined,
      };
    }
    if (e instanceof SyntaxError) {
      return { kind: 'malformed', retryable: true, reason: `response is not valid JSON (${e.message})` };
    }
    const msg = e instanceof Error ? e.message : String(e);
    return { kind: 'network', retryable: true, reason: msg };
  }
}

function toWireRequest(r: ChatRequest): OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming {
  // Key order as LLaVA's review scripts send them (model, messages, temperature, max_tokens).
  const body: Record<string, unknown> = { model: r.model, messages: r.messages };
  if (r.temperature !== undefined) body.temperature = r.temperature;
  if (r.maxTokens !== undefined) body.max_tokens = r.maxTokens;
  if (r.topP !== undefined) body.top_p = r.topP;
  if (r.seed !== undefined) body.seed = r.seed;
  return body as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
}

/** The server's own error message, whole (the client redacts and shortens it). */
function errorDetail(e: APIError): string {
  const body = e.error as { message?: unknown } | undefined;
  let text = typeof body?.message === 'string' ? body.message : '';
  if (!text) text = e.message.replace(/^\d{3}\s*/, '');
  text = text.trim();
  return text === 'status code (no body)' ? '' : text;
}

function parseCompletion(completion: unknown, requestedModel: string): Omit<ChatResult, 'attempts'> | AttemptFailure {
  if (typeof completion !== 'object' || completion === null) {
    const what = typeof completion === 'string' ? 'text that is not JSON' : String(completion);
    return { kind: 'malformed', retryable: true, reason: `response body is ${what}, expected a chat.completion object` };
  }
  const c = completion as { choices?: unknown; model?: unknown };
  if (!Array.isArray(c.choices) || c.choices.length === 0) {
    return { kind: 'malformed', retryable: true, reason: 'response has no "choices"' };
  }
  const choice = c.choices[0] as { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown };
  if (typeof choice !== 'object' || choice === null || typeof choice.message !== 'object' || choice.message === null) {
    return { kind: 'malformed', retryable: true, reason: 'response choice has no "message"' };
  }
  const content = choice.message.content;
  if (typeof content !== 'string') {
    const refusal = typeof choice.message.refusal === 'string' ? ` (refusal: ${choice.message.refusal})` : '';
    return { kind: 'no-content', retryable: false, reason: `response message has no text content${refusal}` };
  }
  return {
    text: content,
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
    model: typeof c.model === 'string' && c.model !== '' ? c.model : requestedModel,
  };
}
