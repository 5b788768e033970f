import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlAppender, readJsonl, rewriteJsonl } from '../../src/llm/jsonl-log.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

test('a missing file reads as empty; appended records read back in order', () => {
  const p = join(tempDir(), 'a.jsonl');
  assert.deepEqual(readJsonl(p), { values: [], lines: [], intactBytes: 0, torn: false });
  const { appender, contents } = JsonlAppender.open(p);
  assert.equal(contents.values.length, 0);
  appender.append({ a: 1 });
  appender.append({ a: 'é\n2' });
  appender.close();
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
  const { appender, contents } = JsonlAppender.open(p);
  assert.deepEqual(contents, r);
  appender.append({ a: 3 });
  appender.close();
  assert.equal(readFileSync(p, 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n');
});

test('a complete last line without its newline is kept, and the next record starts a new line', () => {
  const p = join(tempDir(), 'c.jsonl');
  writeFileSync(p, '{"a":1}\n{"a":2}');
  assert.equal(readJsonl(p).torn, false);
  const { appender, contents } = JsonlAppender.open(p);
  assert.equal(contents.values.length, 2);
  appender.append({ a: 3 });
  appender.close();
  assert.equal(readFileSync(p, 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n');
});

test('a malformed line before the last is an InputError naming the line, and leaves no lock', () => {
  const p = join(tempDir(), 'd.jsonl');
  writeFileSync(p, '{"a":1}\nnot json\n{"a":3}\n');
  assert.throws(() => readJsonl(p), (e: unknown) => e instanceof InputError && /line 2 is not valid JSON/.test(e.message));
  assert.throws(() => JsonlAppender.open(p), /line 2 is not valid JSON/);
  assert.equal(existsSync(`${p}.lock`), false);
});

test('one writer at a time: a live lock refuses, a dead process\'s lock is taken over', () => {
  const p = join(tempDir(), 'e.jsonl');
  const first = JsonlAppender.open(p).appender;
  assert.equal(readFileSync(`${p}.lock`, 'utf8'), String(process.pid));
  assert.throws(() => JsonlAppender.open(p), (e: unknown) => e instanceof InputError && /already being written \(by process \d+\)/.test(e.message));
  first.close();
  assert.equal(existsSync(`${p}.lock`), false);

  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(`${p}.lock`, dead.stdout);
  const second = JsonlAppender.open(p).appender;
  second.append({ ok: true });
  second.close();
  assert.deepEqual(readJsonl(p).values, [{ ok: true }]);
});

test('rewrite replaces the records under the lock, and appending continues after them', () => {
  const p = join(tempDir(), 'f.jsonl');
  writeFileSync(p, '{"a":1}\n{"a":2}\n');
  const { appender } = JsonlAppender.open(p);
  appender.rewrite([{ b: 1 }]);
  appender.append({ b: 2 });
  appender.close();
  assert.equal(readFileSync(p, 'utf8'), '{"b":1}\n{"b":2}\n');
  rewriteJsonl(p, []);
  assert.equal(readFileSync(p, 'utf8'), '');
});
