import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, retryAfterMs, DEFAULT_RETRY_POLICY, sleep } from '../../src/llm/retry.js';
import { Limiter } from '../../src/llm/limiter.js';

const headers = (h: Record<string, string>) => new Headers(h);

test('backoffDelayMs doubles from the initial delay up to the ceiling, jitter takes up to its share', () => {
  const p = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.25 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((r) => backoffDelayMs(r, p, () => 0)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(backoffDelayMs(2, p, () => 0.5), 400 * (1 - 0.125));
  assert.equal(backoffDelayMs(0, { ...p, jitter: 0 }, () => 0.99), 100);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelayMs(3, p);
    assert.ok(d > 600 && d <= 800, `delay ${d}`);
  }
});

test('retryAfterMs reads retry-after-ms, delta-seconds and HTTP dates', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryAfterMs(headers({ 'retry-after': '3' }), now), 3000);
  assert.equal(retryAfterMs(headers({ 'retry-after': '0.5' }), now), 500);
  assert.equal(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '3' }), now), 250);
  assert.equal(retryAfterMs(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }), now), 7000);
  assert.equal(retryAfterMs(headers({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now), 0);
  assert.equal(retryAfterMs(headers({ 'retry-after': 'soon' }), now), undefined);
  assert.equal(retryAfterMs(headers({}), now), undefined);
  assert.equal(retryAfterMs(undefined, now), undefined);
});

test('sleep rejects with the abort reason', async () => {
  const c = new AbortController();
  const p = sleep(10_000, c.signal);
  c.abort(new Error('stop'));
  await assert.rejects(p, /stop/);
});

test('Limiter never runs more than its limit and records the peak', async () => {
  const lim = new Limiter(3);
  let running = 0;
  let max = 0;
  await Promise.all(Array.from({ length: 20 }, (_, i) => lim.run(async () => {
    running += 1;
    max = Math.max(max, running);
    await new Promise((r) => setTimeout(r, 1 + (i % 4)));
    running -= 1;
  })));
  assert.equal(max, 3);
  assert.equal(lim.peak, 3);
  assert.equal(lim.running, 0);
  assert.throws(() => new Limiter(0), RangeError);
});
