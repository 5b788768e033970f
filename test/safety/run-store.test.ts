/**
 * Issue 13: `data.limit` is applied (it was validated and ignored), a changed or removed ID
 * sample leaves no stale row in run.sqlite, and a junk run.sqlite is bad input naming its path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import Database from 'better-sqlite3';
import { demoBenchmark } from '../../src/demo/scenes.js';
import { SimulatedEndpoint } from '../../src/demo/simulated-endpoint.js';
import { writeDatasetDir } from '../../src/data/dataset-dir.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('run: data.limit limits every set; a changed or removed sample leaves no stale row; a junk run.sqlite exits 2', async () => {
  const dir = tempDir();
  const bench = await demoBenchmark(2, 5);
  const samples = bench.samples.slice(0, 6);
  writeDatasetDir(join(dir, 'coco'), samples, { name: 'llava_bench_coco' });
  const endpoint = new SimulatedEndpoint({ images: new Map(), questions: new Map() }, bench.questions);
  const baseUrl = await endpoint.start();
  try {
    const config = (limit?: number) => ({
      name: 'limit test',
      out: 'out',
      data: { id: 'coco', id_name: 'llava_bench_coco', scenarios: { names: ['llava_bench_coco_sr_4'] }, ...(limit ? { limit } : {}) },
      model: { name: 'sim-mllm', base_url: baseUrl, max_tokens: 32 },
      encoders: { kind: 'builtin' },
      estimator: { train: { epochs: 1, batch_size: 4 } },
      analysis: { bootstrap: 0, permutations: 0 },
      report: { html: false },
    });
    const cfg = join(dir, 'run.yaml');
    const db = () => new Database(join(dir, 'out', 'run.sqlite'), { readonly: true });
    const rows = (sql: string) => { const d = db(); try { return d.prepare(sql).all() as Record<string, unknown>[]; } finally { d.close(); } };

    writeFileSync(cfg, stringify(config(3)));
    const limited = await runCliAsync(['run', cfg]);
    assert.equal(limited.code, 0, limited.stderr);
    assert.deepEqual(rows("SELECT scenario, COUNT(*) AS n FROM samples GROUP BY scenario ORDER BY scenario"),
      [{ scenario: 'llava_bench_coco', n: 3 }, { scenario: 'llava_bench_coco_sr_4', n: 3 }]);
    assert.deepEqual(rows("SELECT scenario, COUNT(*) AS n FROM responses GROUP BY scenario ORDER BY scenario"),
      [{ scenario: 'llava_bench_coco', n: 3 }, { scenario: 'llava_bench_coco_sr_4', n: 3 }]);

    // Remove two samples and change a question; no limit now.
    const changed = samples.slice(0, 4).map((s, i) => (i === 0 ? { ...s, question: 'A changed question?' } : s));
    writeDatasetDir(join(dir, 'coco'), changed, { name: 'llava_bench_coco' });
    writeFileSync(cfg, stringify(config()));
    const rerun = await runCliAsync(['run', cfg]);
    assert.equal(rerun.code, 0, rerun.stderr);
    const ids = rows("SELECT sample_id, question FROM samples WHERE scenario = 'llava_bench_coco' ORDER BY sample_id");
    assert.deepEqual(ids.map((r) => r.sample_id), changed.map((s) => s.id).sort());
    assert.equal(ids.find((r) => r.sample_id === changed[0].id)?.question, 'A changed question?');
    assert.deepEqual(rows("SELECT scenario, COUNT(*) AS n FROM responses GROUP BY scenario ORDER BY scenario"),
      [{ scenario: 'llava_bench_coco', n: 4 }, { scenario: 'llava_bench_coco_sr_4', n: 4 }]);

    writeFileSync(join(dir, 'out', 'run.sqlite'), 'this is not a database, just junk bytes '.repeat(200));
    const junk = await runCliAsync(['run', cfg]);
    assert.equal(junk.code, 2, junk.stderr);
    assert.match(junk.stderr, /^mllmshift: .*out\/run\.sqlite: not a usable run store/m);
    assert.doesNotMatch(junk.stderr, /internal error/);
  } finally {
    await endpoint.stop();
  }
});
