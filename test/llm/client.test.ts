import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatClient, ChatRequestError, apiKeyFromEnv, parseBaseUrl, type ChatClientOptions, type RetryEvent } from '../../src/llm/client.js';
import { UsageError } from '../../src/errors.js';
import { startFakeServer, userText, type Reply, type SeenRequest } from './fake-server.js';

const KEY = 'sk-test-SECRET-4f1c9a';
const server = await startFakeServer(() => ({ kind: 'text', text: 'ok' }));
after(() => server.close());

/** A client on the fake server with fast retries; `script` answers the requests of this test in turn. */
function setup(script: (req: SeenRequest, i: number) => Reply, extra: Partial<ChatClientOptions> = {}) {
  const first = server.requests.length;
  server.behave = (req) => script(req, req.n - first);
  const retries: RetryEvent[] = [];
  const client = new ChatClient({
    baseURL: server.url,
    apiKey: KEY,
    concurrency: 2,
    timeoutMs: 2000,
    retry: { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 20 },
    onRetry: (e) => retries.push(e),
    ...extra,
  });
  return { client, retries, requests: () => server.requests.slice(first) };
}

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hello' }], maxTokens: 16, temperature: 0 };

test('a normal answer: text, finish reason, request body and bearer key', async () => {
  const { client, requests } = setup((req) => ({ kind: 'text', text: `echo: ${userText(req.body)}` }));
  const r = await client.complete(ask);
  assert.equal(r.text, 'echo: hello');
  assert.equal(r.finishReason, 'stop');
  assert.equal(r.model, 'm');
  assert.equal(r.attempts, 1);
  const [seen] = requests();
  assert.equal(seen.body.model, 'm');
  assert.equal(seen.body.max_tokens, 16);
  assert.equal(seen.body.temperature, 0);
  assert.equal(seen.headers.authorization, `Bearer ${KEY}`);
});

test('429 with Retry-After: waits as long as the server asks, then succeeds', async () => {
  const { client, retries, requests } = setup((_r, i) => (i === 0
    ? { kind: 'error', status: 429, headers: { 'retry-after': '1' } }
    : { kind: 'text', text: 'after wait' }));
  const r = await client.complete(ask);
  assert.equal(r.text, 'after wait');
  assert.equal(r.attempts, 2);
  assert.equal(retries.length, 1);
  assert.equal(retries[0].delayMs, 1000);
  assert.match(retries[0].reason, /HTTP 429/);
  const [a, b] = requests();
  assert.ok(b.at - a.at >= 950, `second request ${b.at - a.at} ms after the first`);
});

test('retry-after-ms is honoured and capped by maxRetryAfterMs', async () => {
  const { client, retries } = setup((_r, i) => (i === 0
    ? { kind: 'error', status: 503, headers: { 'retry-after-ms': '60000' } }
    : { kind: 'text', text: 'ok' }), { retry: { maxRetries: 2, initialDelayMs: 5, maxRetryAfterMs: 30 } });
  assert.equal((await client.complete(ask)).text, 'ok');
  assert.equal(retries[0].delayMs, 30);
});

test('500s are retried with backoff; persistent 500s fail after maxRetries + 1 requests', async () => {
  const flaky = setup((_r, i) => (i < 2 ? { kind: 'error', status: 500 } : { kind: 'text', text: 'third time' }));
  const r = await flaky.client.complete(ask);
  assert.equal(r.text, 'third time');
  assert.equal(r.attempts, 3);
  assert.deepEqual(flaky.retries.map((e) => e.retry), [1, 2]);

  const down = setup(() => ({ kind: 'error', status: 502 }));
  await assert.rejects(down.client.complete(ask), (e: unknown) => {
    assert.ok(e instanceof ChatRequestError);
    assert.equal(e.kind, 'http');
    assert.equal(e.status, 502);
    assert.equal(e.attempts, 4);
    assert.equal(e.exitCode, 1);
    assert.match(e.message, /after 4 attempts: HTTP 502: fake error 502/);
    return true;
  });
  assert.equal(down.requests().length, 4);
});

test('client errors other than 408/409/429 are not retried', async () => {
  const { client, requests } = setup(() => ({ kind: 'error', status: 400, body: JSON.stringify({ error: { message: 'bad image' } }) }));
  await assert.rejects(client.complete(ask), /failed: HTTP 400: bad image/);
  assert.equal(requests().length, 1);
});

test('timeouts: no response at all, and a body that stalls, are retried then reported', async () => {
  const hang = setup(() => ({ kind: 'hang' }), { timeoutMs: 150, retry: { maxRetries: 1, initialDelayMs: 5 } });
  await assert.rejects(hang.client.complete(ask), (e: unknown) => e instanceof ChatRequestError && e.kind === 'timeout' && /timeout after 150 ms/.test(e.message));
  assert.equal(hang.requests().length, 2);

  const stall = setup((_r, i) => (i === 0 ? { kind: 'stall-body' } : { kind: 'text', text: 'recovered' }), { timeoutMs: 500 });
  const r = await stall.client.complete(ask);
  assert.equal(r.text, 'recovered');
  assert.match(stall.retries[0].reason, /timeout/);
});

test('malformed JSON and bodies without choices are retried', async () => {
  const { client, retries } = setup((_r, i) => {
    if (i === 0) return { kind: 'raw', status: 200, contentType: 'application/json', body: '{"choices": [{"message": ' };
    if (i === 1) return { kind: 'raw', status: 200, contentType: 'text/plain', body: 'hello there' };
    if (i === 2) return { kind: 'raw', status: 200, contentType: 'application/json', body: '{"object": "chat.completion"}' };
    return { kind: 'text', text: 'fine' };
  });
  assert.equal((await client.complete(ask)).text, 'fine');
  assert.equal(retries.length, 3);
  assert.match(retries[0].reason, /not valid JSON/);
  assert.match(retries[1].reason, /not JSON/);
  assert.match(retries[2].reason, /no "choices"/);
});

test('a reply without text content fails without retrying', async () => {
  const { client, requests } = setup(() => ({
    kind: 'raw', status: 200, contentType: 'application/json',
    body: JSON.stringify({ choices: [{ message: { role: 'assistant', content: null, refusal: 'I cannot help' }, finish_reason: 'stop' }] }),
  }));
  await assert.rejects(client.complete(ask), (e: unknown) => e instanceof ChatRequestError && e.kind === 'no-content' && /refusal: I cannot help/.test(e.message));
  assert.equal(requests().length, 1);
});

test('dropped connections are retried', async () => {
  const { client, retries } = setup((_r, i) => (i === 0 ? { kind: 'destroy' } : { kind: 'text', text: 'back' }));
  assert.equal((await client.complete(ask)).text, 'back');
  assert.equal(retries.length, 1);
});

test('the API key never appears in errors, even when the server echoes it', async () => {
  const { client, retries } = setup((req) => ({
    kind: 'error', status: 500, body: JSON.stringify({ error: { message: `bad header ${String(req.headers.authorization)}` } }),
  }), { retry: { maxRetries: 1, initialDelayMs: 1 } });
  await assert.rejects(client.complete(ask), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.ok(!e.message.includes(KEY), e.message);
    assert.ok(!String(e.stack).includes(KEY));
    assert.match(e.message, /bad header Bearer \*\*\*/);
    return true;
  });
  assert.ok(retries.every((r) => !r.reason.includes(KEY)));
});

test('concurrency never exceeds the limit', async () => {
  const { client } = setup(() => ({ kind: 'text', text: 'x', delayMs: 30 }), { concurrency: 3 });
  const before = server.peakInFlight;
  assert.ok(before <= 2);
  const results = await Promise.all(Array.from({ length: 12 }, () => client.complete(ask)));
  assert.equal(results.length, 12);
  assert.equal(client.peakConcurrency, 3);
  assert.equal(server.peakInFlight, 3);
});

test('apiKeyFromEnv and parseBaseUrl', () => {
  assert.equal(apiKeyFromEnv('K', true, { K: 'v' }), 'v');
  assert.equal(apiKeyFromEnv('K', false, {}), undefined);
  assert.throws(() => apiKeyFromEnv('K', true, {}), (e: unknown) => e instanceof UsageError && /K \(the API key\) is not set/.test(e.message));
  assert.throws(() => apiKeyFromEnv('sk-abc=1', true, {}), UsageError);
  assert.deepEqual(parseBaseUrl('http://127.0.0.1:8000/v1/'), { baseURL: 'http://127.0.0.1:8000/v1', query: {}, azure: false });
  assert.deepEqual(
    parseBaseUrl('https://res.openai.azure.com/openai/deployments/gpt4o?api-version=2024-06-01'),
    { baseURL: 'https://res.openai.azure.com/openai/deployments/gpt4o', query: { 'api-version': '2024-06-01' }, azure: true },
  );
  assert.throws(() => parseBaseUrl('not a url'), UsageError);
  assert.throws(() => parseBaseUrl('ftp://x/v1'), UsageError);
  assert.throws(() => parseBaseUrl('http://user:pw@x/v1'), UsageError);
});

test('a base URL with a query (Azure\'s api-version) keeps it on every request', async () => {
  const { requests } = setup(() => ({ kind: 'text', text: 'az' }));
  const client = new ChatClient({ baseURL: `${server.url}?api-version=2024-06-01`, apiKey: KEY });
  assert.equal((await client.complete(ask)).text, 'az');
  assert.equal(requests()[0].url, '/v1/chat/completions?api-version=2024-06-01');
});

test('fractional timeouts (e.g. --timeout 0.25) are accepted', async () => {
  setup(() => ({ kind: 'text', text: 'in time' }));
  const client = new ChatClient({ baseURL: server.url, timeoutMs: 1500.5 });
  assert.equal((await client.complete(ask)).text, 'in time');
  assert.throws(() => new ChatClient({ baseURL: server.url, timeoutMs: 0 }), UsageError);
});
