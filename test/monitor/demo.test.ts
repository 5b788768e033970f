/**
 * The simulated deployment, compact (4 reference days, 3 stationary, 2 with the sudden
 * shift; 40 requests a day, all analysed), one seed: no false alarm, the sudden shift alerted within two
 * windows, the webhook (a 127.0.0.1 server of the test) receives each alert, the dashboard is
 * written. The full schedule and 20 seeds are in bench/monitor-false-alarms.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dayRegime, runMonitorDemo, scoreDemo } from '../../src/monitor/demo.js';
import { renderDashboardHtml } from '../../src/monitor/dashboard.js';
import { tempDir } from '../helpers/tmp.js';

test('schedule: the gradual share rises linearly, the sudden shift is total', () => {
  const s = { reference: 2, stationary: 1, gradual: 4, recovery: 1, sudden: 2 };
  assert.deepEqual(Array.from({ length: 10 }, (_, d) => dayRegime(s, d).shifted), [0, 0, 0, 0.25, 0.5, 0.75, 1, 0, 1, 1]);
  assert.deepEqual([dayRegime(s, 4).kind, dayRegime(s, 8).kind, dayRegime(s, 0).kind], ['blur', 'frost', null]);
});

test('monitor demo (compact): no false alarm, sudden shift alerted within two windows, webhook called', { timeout: 400_000 }, async () => {
  const posts: { window: string }[] = [];
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { posts.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { window: string }); res.writeHead(200).end('ok'); });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const schedule = { reference: 4, stationary: 3, gradual: 0, recovery: 0, sudden: 2 };
  try {
    const r = await runMonitorDemo({
      outDir: tempDir('mllmshift-monitor-demo-'), seed: 3, schedule, perWindow: 40, sample: 40, referenceSize: 64, nullWindows: 40, bootstrap: 0, topSamples: 2, scenes: 12,
      webhook: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, log: () => {}, renderDashboard: renderDashboardHtml,
    });
    const s = r.score;
    const zs = r.monitor.windows.filter((w) => w.role === 'monitored').map((w) => `${w.index}: ${w.decisions!.map((d) => `${d.statistic} z ${d.z.toFixed(2)} ≥ ${d.threshold.toFixed(2)}`).join(', ')}`).join('; ');
    assert.deepEqual(s, scoreDemo(schedule, r.monitor));
    assert.equal(s.stationaryAlarms, 0, `no alert in the stationary windows (${zs})`);
    assert.ok(s.suddenDelay !== null && s.suddenDelay <= 1, `sudden shift alerted within two windows (delay ${s.suddenDelay}; ${zs})`);
    assert.equal(posts.length, r.monitor.alertsNow.length);
    assert.ok(posts.every((p) => r.monitor.windows.some((w) => w.key === p.window && w.alert)));
    assert.ok(r.monitor.dashboardPath && existsSync(r.monitor.dashboardPath));
  } finally {
    await new Promise<void>((r) => hook.close(() => r()));
  }
});
