import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from '../../src/encode/progress.js';

test('status line: bar, counts, rate and ETA; total time when done', () => {
  assert.equal(Progress.line('images', 45, 90, 9), 'images [##########..........] 45/90 5.0 items/s ETA 9s');
  assert.equal(Progress.line('texts', 300, 300, 150), 'texts [####################] 300/300 2.0 items/s in 2m30s');
  assert.equal(Progress.line('x', 0, 10, 0), 'x [....................] 0/10 0.0 items/s ETA ?');
  assert.equal(Progress.line('f', 5e6, 1e7, 2, 'MB', (n) => `${(n / 1e6).toFixed(1)}MB`), 'f [##########..........] 5.0MB/10.0MB 2.5MB/s ETA 2s');
});

test('off a terminal: only a final line (and one per 10 s); nothing when disabled', () => {
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream;
  const p = new Progress('items', 3, { stream });
  p.tick();
  p.tick(2);
  p.finish();
  p.finish();
  assert.equal(out.length, 1);
  assert.match(out[0], /^items \[#{20}\] 3\/3 .* items\/s in \d+s\n$/);
  const quiet: string[] = [];
  const q = new Progress('items', 3, { stream: { isTTY: false, write: (s: string) => quiet.push(s) } as unknown as NodeJS.WriteStream, enabled: false });
  q.tick(3);
  q.finish();
  assert.deepEqual(quiet, []);
});
