/**
 * Issue 13: the API key never appears in any output — neither in an error message (even when
 * the server echoes it across the point where its text is shortened) nor in answer files or
 * the response cache (when the server echoes it into the reply's `model` field or its text).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { startFakeServer, type Reply, type SeenRequest } from '../llm/fake-server.js';
import { makeDatasetDir } from '../llm/helpers.js';

const KEY = 'sk-proj-Zq7RkT2wXb9LmN4pV8cD1fH6jS3gA5eY0uI';

/** Any 8 consecutive characters of the key: what a partial leak would show. */
function leaksKey(text: string): string | undefined {
  for (let i = 0; i + 8 <= KEY.length; i++) if (text.includes(KEY.slice(i, i + 8))) return KEY.slice(i, i + 8);
  return undefined;
}

function behave(req: SeenRequest): Reply {
  const auth = String(req.headers.authorization);
  if (req.body.model === 'deny') {
    // The key starts at character 266, so a cut at 300 characters before redaction leaks 34 of its 43 characters.
    return { kind: 'error', status: 401, body: JSON.stringify({ error: { message: `${'x'.repeat(250)} header: ${auth} was refused` } }) };
  }
  return { kind: 'raw', status: 200, contentType: 'application/json', body: JSON.stringify({
    id: 'c', object: 'chat.completion', created: 0, model: `served/${auth}`,
    choices: [{ index: 0, message: { role: 'assistant', content: `you sent ${auth}` }, finish_reason: 'stop' }],
  }) };
}

const server = await startFakeServer(behave);
after(() => server.close());
const dir = tempDir();
const data = join(dir, 'data');
await makeDatasetDir(data, 3);
const cacheDir = join(dir, 'cache');
const env = { MLLMSHIFT_CACHE_DIR: cacheDir, TEST_KEY: KEY };

test('a key echoed across the 300-character cut of an error body is not printed, not even in part', async () => {
  const r = await runCliAsync(['infer', '--dataset', data, '--model', 'deny', '--base-url', server.url, '--api-key-env', 'TEST_KEY', '--out', join(dir, 'deny.jsonl')], { env });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /HTTP 401/);
  assert.equal(leaksKey(r.stderr + r.stdout), undefined, `stderr leaks part of the key: ${r.stderr}`);
});

test('a key echoed in the reply\'s model field and text is stored neither in the answer file nor in the cache', async () => {
  const out = join(dir, 'answers.jsonl');
  const r = await runCliAsync(['infer', '--dataset', data, '--model', 'echo', '--base-url', server.url, '--api-key-env', 'TEST_KEY', '--out', out, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const answers = readFileSync(out, 'utf8');
  assert.equal(leaksKey(answers), undefined, `answer file leaks the key: ${answers}`);
  assert.match(answers, /"served_model":"served\/Bearer \*\*\*"/);
  for (const f of readdirSync(cacheDir)) {
    const bytes = readFileSync(join(cacheDir, f)).toString('latin1');
    assert.equal(leaksKey(bytes), undefined, `cache file ${f} leaks the key`);
  }
  assert.equal(leaksKey(r.stderr + r.stdout), undefined);
});
