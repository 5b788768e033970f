/**
 * `mllmshift power`: SE from a pilot's EMID interval, the minimum detectable EMID and the n
 * needed, against values computed with scipy's normal quantiles at test-writing time; the CLI
 * on an `emid --json` document and its bad-input path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { powerAnalysis } from '../../src/pipeline/power.js';
import { fromEmidJson } from '../../src/pipeline/results-import.js';
import { assertClose } from '../helpers/assert-close.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// A pilot of n = 90 with EMID 0.01, 95 % interval [−0.01, 0.03]:
// SE = 0.04/(2·z_0.975) = 0.01020426913849308, MDE = (z_0.975 + z_0.8)·SE = 0.02858812958004857,
// n needed for 0.01 = ⌈90·(MDE/0.01)²⌉ = 736, power at n for 0.01 = 0.16518885122784133.
const EMID_JSON = {
  ID: 'coco',
  EMI: { coco: 0.05, coco_frost_5: 0.04, coco_sr_7: 0.03 },
  EMID: { coco_frost_5: 0.01, coco_sr_7: 0.02 },
  EMID_UB: { coco_frost_5: 1.2, coco_sr_7: 1.4 },
  JSD: { coco_frost_5: { visual: 0.1, text: 0, idOutput: 0.05, oodOutput: 0.06 }, coco_sr_7: { visual: 0, text: 0.1, idOutput: 0.05, oodOutput: 0.07 } },
  JSD_null: { visual: 0.6, text: 0.6, output: 0.6, halfSize: 45 },
  bound: 'scale-adjusted',
  jsdMixture: 'equal',
  estimator: 'CLUB_global.pt',
  n: { coco: 90, coco_frost_5: 90, coco_sr_7: 90 },
  EMID_CI95: { coco_frost_5: [-0.01, 0.03], coco_sr_7: [0, 0.04] },
};

test('powerAnalysis: SE from the interval, minimum detectable EMID, n needed and power at n', () => {
  const a = powerAnalysis(fromEmidJson(EMID_JSON, 'pilot.json'), 'pilot.json', { effect: 0.01 });
  const s = a.scenarios.find((x) => x.name === 'coco_frost_5')!;
  assert.equal(s.n, 90);
  assertClose(s.se, 0.01020426913849308, 1e-12, 'SE');
  assertClose(s.minimumDetectable, 0.02858812958004857, 1e-9, 'MDE');
  assert.equal(s.requiredN, 736);
  assertClose(s.powerAtN, 0.16518885122784133, 1e-9, 'power at n');
  // Default effect: each scenario's own |EMID| (0.02 for coco_sr_7, same SE: n = ⌈90·(MDE/0.02)²⌉ = 184).
  const own = powerAnalysis(fromEmidJson(EMID_JSON, 'pilot.json'), 'pilot.json').scenarios.find((x) => x.name === 'coco_sr_7')!;
  assert.equal(own.effect, 0.02);
  assert.equal(own.requiredN, Math.ceil(90 * (0.02858812958004857 / 0.02) ** 2));
});

test('mllmshift power: JSON on stdout; a pilot without intervals is exit 2 naming the file', () => {
  const dir = tempDir();
  const file = join(dir, 'pilot.json');
  writeFileSync(file, JSON.stringify(EMID_JSON));
  const r = runCli(['power', file, '--effect', '0.01', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { scenarios: { name: string; requiredN: number }[] };
  assert.equal(out.scenarios.find((s) => s.name === 'coco_frost_5')!.requiredN, 736);
  const bare = join(dir, 'bare.json');
  writeFileSync(bare, JSON.stringify({ ...EMID_JSON, EMID_CI95: undefined }));
  const b = runCli(['power', bare]);
  assert.equal(b.code, 2);
  assert.match(b.stderr.trim(), /bare\.json: no OOD scenario has an EMID interval/);
  assert.equal(b.stderr.trim().split('\n').length, 1);
  assert.equal(runCli(['power', file, '--power', '1.5']).code, 2);
});
