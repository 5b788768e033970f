import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlAppender, readJsonl, rewriteJsonl } from '../../src/llm/jsonl-log.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

test('a missing file reads as empty; appended records read back in order', () => {
  const p = join(tempDir(), 'a.jsonl');
  assert.deepEqual(readJsonl(p), { values: [], lines: [], intactBytes: 0, torn: false });
  const w = new JsonlAppender(p);
  w.append({ a: 1 });
  w.append({ a: 'é\n2' });
  w.close();
  const r = readJsonl(p);
  assert.deepEqual(r.values, [{ a: 1 }, { a: 'é\n2' }]);
  assert.equal(r.torn, false);
  assert.equal(r.intactBytes, readFileSync(p).length);
});

test('a torn last line is ignored when reading and cut off when appending', () => {
  const p = join(tempDir(), 'b.jsonl');
  writeFileSync(p, '{"a":1}\n{"a":2}\n{"a":');
  const r = readJsonl(p);
  assert.deepEqual(r.values, [{ a: 1 }, { a: 2 }]);
  assert.equal(r.torn, true);
  assert.equal(r.intactBytes, 16);
  const w = new JsonlAppender(p, r.intactBytes);
  w.append({ a: 3 });
  w.close();
  assert.equal(readFileSync(p, 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n');
});

test('a complete last line without its newline is kept, and the next record starts a new line', () => {
  const p = join(tempDir(), 'c.jsonl');
  writeFileSync(p, '{"a":1}\n{"a":2}');
  const r = readJsonl(p);
  assert.equal(r.torn, false);
  assert.equal(r.values.length, 2);
  const w = new JsonlAppender(p, r.intactBytes);
  w.append({ a: 3 });
  w.close();
  assert.equal(readFileSync(p, 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n');
});

test('a malformed line before the last is an InputError naming the line', () => {
  const p = join(tempDir(), 'd.jsonl');
  writeFileSync(p, '{"a":1}\nnot json\n{"a":3}\n');
  assert.throws(() => readJsonl(p), (e: unknown) => e instanceof InputError && /line 2 is not valid JSON/.test(e.message));
});

test('rewriteJsonl replaces the contents', () => {
  const p = join(tempDir(), 'e.jsonl');
  writeFileSync(p, '{"a":1}\n{"a":2}\n');
  rewriteJsonl(p, [{ b: 1 }]);
  assert.equal(readFileSync(p, 'utf8'), '{"b":1}\n');
});
