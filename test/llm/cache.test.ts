import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ResponseCache, completeCached, defaultCachePath, requestKey } from '../../src/llm/cache.js';
import { ChatClient, type ChatRequest } from '../../src/llm/client.js';
import { tempDir } from '../helpers/tmp.js';
import { startFakeServer, userText } from './fake-server.js';

const img = (u: string): ChatRequest['messages'][number] => ({
  role: 'user',
  content: [{ type: 'image_url', image_url: { url: u } }, { type: 'text', text: 'q' }],
});
const base: ChatRequest = { model: 'm', messages: [img('data:image/png;base64,AAAA')], maxTokens: 10, temperature: 0 };

const URL_A = 'http://127.0.0.1:8000/v1';

test('requestKey depends on endpoint, model, generation parameters, prompt and image, and on nothing else', () => {
  const key = (r: ChatRequest) => requestKey(r, URL_A);
  const k = key(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(key({ ...base, messages: [img('data:image/png;base64,AAAA')] }), k);
  assert.notEqual(requestKey(base, 'http://127.0.0.1:8001/v1'), k, 'another endpoint, another key');
  const variants: ChatRequest[] = [
    { ...base, model: 'm2' },
    { ...base, maxTokens: 11 },
    { ...base, temperature: 0.2 },
    { ...base, topP: 0.9 },
    { ...base, seed: 1 },
    { ...base, messages: [img('data:image/png;base64,AAAB')] },
    { ...base, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'text', text: 'q2' }] }] },
    { ...base, messages: [{ role: 'system', content: 's' }, img('data:image/png;base64,AAAA')] },
  ];
  const keys = new Set([k, ...variants.map(key)]);
  assert.equal(keys.size, variants.length + 1);
});

test('defaultCachePath follows MLLMSHIFT_CACHE_DIR, then XDG_CACHE_HOME', () => {
  assert.equal(defaultCachePath({ MLLMSHIFT_CACHE_DIR: '/x' }), join('/x', 'chat-responses.sqlite'));
  assert.equal(defaultCachePath({ XDG_CACHE_HOME: '/y' }), join('/y', 'mllmshift', 'chat-responses.sqlite'));
});

test('the cache persists across reopening and answers identical requests without the endpoint', async () => {
  const server = await startFakeServer((req) => ({ kind: 'text', text: `answer ${userText(req.body)} #${req.n}` }));
  after(() => server.close());
  const path = join(tempDir(), 'sub', 'cache.sqlite');
  const client = new ChatClient({ baseURL: server.url, retry: { maxRetries: 0 } });
  let cache = new ResponseCache(path);
  const first = await completeCached(client, cache, base);
  assert.deepEqual([first.cached, first.result.text], [false, 'answer q #0']);
  cache.close();
  cache = new ResponseCache(path);
  assert.equal(cache.size(), 1);
  const again = await completeCached(client, cache, base);
  assert.deepEqual([again.cached, again.result.text], [true, 'answer q #0']);
  const other = await completeCached(client, cache, { ...base, temperature: 0.7 });
  assert.deepEqual([other.cached, other.result.text], [false, 'answer q #1']);
  assert.equal(server.requests.length, 2);
  const sampledAgain = await completeCached(client, cache, { ...base, temperature: 0.7 });
  assert.deepEqual([sampledAgain.cached, sampledAgain.result.text], [false, 'answer q #2'], 'a sampled request is not cached by default');
  cache.close();
  cache = new ResponseCache(path, { sampled: true });
  await completeCached(client, cache, { ...base, temperature: 0.7 });
  const sampledCached = await completeCached(client, cache, { ...base, temperature: 0.7 });
  assert.deepEqual([sampledCached.cached, sampledCached.result.text], [true, 'answer q #3'], 'asked to, the cache keeps sampled replies');
  assert.equal(server.requests.length, 4);

  const rejected = await completeCached(client, cache, { ...base, seed: 5 }, { accept: () => false });
  assert.equal(rejected.cached, false);
  await completeCached(client, cache, { ...base, seed: 5 }, { accept: () => false });
  assert.equal(server.requests.length, 6, 'replies that are not accepted are not cached');
  cache.close();
});
