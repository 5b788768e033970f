/**
 * Retry timing for remote calls: exponential backoff with jitter, and the server's own
 * `Retry-After` / `retry-after-ms` answer when it gives one.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (so at most maxRetries + 1 requests). */
  readonly maxRetries: number;
  /** Delay before the first retry, before jitter. */
  readonly initialDelayMs: number;
  /** Ceiling of the exponential delay. */
  readonly maxDelayMs: number;
  /**
   * Share of each delay drawn at random: the delay is d·(1 − jitter·u), u ~ U[0, 1), so that
   * many clients backing off together do not retry in lock-step.
   */
  readonly jitter: number;
  /** Longest server-requested wait that is honoured; longer requests are cut to this. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 4,
  initialDelayMs: 1000,
  maxDelayMs: 60_000,
  jitter: 0.25,
  maxRetryAfterMs: 60_000,
};

/**
 * Delay before retry number `retry` (0 for the first retry): min(initial·2^retry, max), then
 * jittered. `random` returns u in [0, 1).
 *
 * Example: initial 1000 ms, jitter 0 → 1000, 2000, 4000, … ms.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.initialDelayMs * 2 ** retry, policy.maxDelayMs);
  return base * (1 - policy.jitter * random());
}

/**
 * How long the server asked us to wait, in ms, or undefined when it did not say.
 * Reads `retry-after-ms` (milliseconds, a common extension) first, then `Retry-After` as
 * delta-seconds or an HTTP date (RFC 9110 §10.2.3). A date in the past means 0.
 */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const v = Number(ms);
    if (Number.isFinite(v) && v >= 0) return v;
  }
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  const trimmed = ra.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason if it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
