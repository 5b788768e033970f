/**
 * `mllmshift report` on every results file it accepts: `emid --json` output (made here by the
 * CLI from generated embedding sets and a generated estimator), the authors' result files
 * (when present: test/helpers/official.ts), and a one-line
 * refusal of anything else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHTML } from 'linkedom';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { saveClubCheckpoint } from '../../src/io/estimator-checkpoint.js';
import { fromEmidJson, readResultsFile } from '../../src/pipeline/results-import.js';
import { renderReportHtml } from '../../src/report/html.js';
import { formatNumber } from '../../src/report/html-format.js';
import { PLOT_CLASS } from '../../src/report/plots.js';
import { InputError } from '../../src/errors.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { needsOfficial, officialPath } from '../helpers/official.js';
import { rng as mulberry32 } from '../encode/fixtures.js';

const AUTHORS = [
  'pairs-NATURAL-ALL-llava-v1.5-13b-CLUB_global.json',
  'pairs-NATURAL-ALL-llava-v1.6-vicuna-13b-CLUB_global.json',
  'pairs-SYNTHETIC-ALL-llava-v1.5-13b-CLUB_global.json',
  'pairs-SYNTHETIC-ALL-llava-v1.6-vicuna-13b-CLUB_global.json',
];

const D = 16;
const H = 8;

/** n unit rows in D dims: a shared direction plus `spread` noise. */
function rows(rand: () => number, n: number, shift: number): Float32Array {
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let k = 0; k < D; k++) {
      const v = Math.sin(k + 1) + shift * Math.cos(3 * k) + 0.6 * (rand() - 0.5);
      out[i * D + k] = v;
      norm += v * v;
    }
    for (let k = 0; k < D; k++) out[i * D + k] /= Math.sqrt(norm);
  }
  return out;
}

function matrix(rand: () => number, r: number, c: number): { rows: number; cols: number; data: Float32Array } {
  return { rows: r, cols: c, data: Float32Array.from({ length: r * c }, () => 0.4 * (rand() - 0.5)) };
}

/** Embedding sets named like the paper's scenarios and a small random CLUB estimator. */
function fixture(): { dir: string; id: string; ood: string[]; estimator: string } {
  const dir = tempDir('mllmshift-report-inputs-');
  const rand = mulberry32(11);
  const write = (name: string, shift: number): string => {
    const p = join(dir, `${name}.safetensors`);
    const n = 24;
    const t = (data: Float32Array) => ({ shape: [n, D], data });
    writeSafetensors(p, { x_v: t(rows(rand, n, shift)), x_t: t(rows(rand, n, shift / 2)), y_hat: t(rows(rand, n, shift)), y: t(rows(rand, n, 0)) }, { scenario: name });
    return p;
  };
  const id = write('llava_bench_coco', 0);
  // Given out of the paper's order on purpose.
  const ood = [write('llava_bench_coco_frost_1', 0.8), write('llava_bench_coco_defocus_blur_3_KeyboardAug_1', 1.2), write('llava_bench_coco_sr_4', 0.3), write('llava_bench_coco_frost_5', 2)];
  const estimator = join(dir, 'club.safetensors');
  saveClubCheckpoint(estimator, { muW1: matrix(rand, H, D), muB1: new Float32Array(H), muW2: matrix(rand, D, H), muB2: new Float32Array(D), lvW1: matrix(rand, H, D), lvB1: new Float32Array(H), lvW2: matrix(rand, D, H), lvB2: new Float32Array(D), boundedLogvar: true }, { kind: 'test' });
  return { dir, id, ood, estimator };
}

type Doc = ReturnType<typeof parseHTML>['document'];

function texts(doc: Doc, sel: string): string[] {
  return [...doc.querySelectorAll(sel)].map((t) => t.textContent ?? '');
}

test('report renders `emid --json` output (made by the CLI): values, paper order, intervals; snake_case keys read too', { timeout: 240_000 }, async () => {
  const f = fixture();
  const emid = await runCliAsync(['emid', '--id', f.id, '--ood', ...f.ood, '--estimator', f.estimator, '--bootstrap', '20', '--json']);
  assert.equal(emid.code, 0, emid.stderr);
  const jsonPath = join(f.dir, 'emid.json');
  writeFileSync(jsonPath, emid.stdout);
  const j = JSON.parse(emid.stdout);
  const out = join(f.dir, 'emid-report.html');
  const rep = await runCliAsync(['report', jsonPath, '--out', out]);
  assert.equal(rep.code, 0, rep.stderr);
  assert.equal(rep.stdout.trim(), out);

  const r = readResultsFile(jsonPath);
  assert.equal(r.run.source, 'emid');
  assert.equal(r.run.emiUnit, 'score');
  // ID first, then the paper's order (text-only, then defocus blur, then frost), not the --ood order.
  assert.deepEqual(r.scenarios.map((s) => s.name), ['llava_bench_coco', 'llava_bench_coco_sr_4', 'llava_bench_coco_defocus_blur_3_KeyboardAug_1', 'llava_bench_coco_frost_1', 'llava_bench_coco_frost_5']);
  for (const s of r.scenarios) {
    assert.equal(s.emi, j.EMI[s.name], `EMI ${s.name}`);
    if (s.modality === 'id') continue;
    assert.equal(s.emid, j.EMID[s.name]);
    assert.equal(s.bound, j.EMID_UB[s.name]);
    const jsd = j.JSD[s.name];
    assert.deepEqual(s.jsd, { visual: jsd.visual, text: jsd.text, idOutput: jsd.idOutput ?? jsd.id_output, oodOutput: jsd.oodOutput ?? jsd.ood_output });
    assert.deepEqual(s.emidCi95, j.EMID_CI95[s.name]);
  }
  assert.equal(r.correlations.emidVsBound.pearson.r, j.PearsonR);

  const doc = parseHTML(readFileSync(out, 'utf8')).document;
  const rowsShown = [...doc.querySelectorAll('#scenario-table tbody tr')].map((tr) => tr.children[0].getAttribute('title'));
  assert.deepEqual(rowsShown, r.scenarios.map((s) => s.name));
  const frost5 = [...doc.querySelectorAll('#scenario-table tbody tr')][4];
  assert.equal(frost5.children[3].textContent?.split(' ')[0], formatNumber(j.EMID.llava_bench_coco_frost_5, 4));
  // The grid in the paper's order with the synthetic grid's axis titles.
  const heat = doc.querySelector(`#plot-heatmap svg.${PLOT_CLASS}`) as NonNullable<ReturnType<Doc['querySelector']>>;
  const heatText = [...heat.querySelectorAll('text')].map((t) => t.textContent);
  for (const title of ['Image corruption, severity', 'Text perturbation, level']) assert.ok(heatText.includes(title), title);
  const yTicks = [...heat.querySelectorAll('g[aria-label="y-axis tick label"] text')].map((t) => t.textContent);
  assert.deepEqual(yTicks, ['none', 'defocus_blur 3', 'frost 1', 'frost 5']);
  assert.ok(texts(doc, '#plot-emid-bound svg text').some((t) => t.startsWith('EMID (CLUB score, not calibrated nats)')));
  assert.ok(doc.querySelector('#plot-emi .placeholder')?.textContent?.includes('no judge scores'));
  assert.ok(doc.querySelector('footer')?.textContent?.includes('`emid --json` output'));

  // The same document with the snake_case keys of earlier versions gives the same results.
  const snake = { ...j, JSD: Object.fromEntries(Object.entries(j.JSD as Record<string, Record<string, number>>).map(([k, v]) => [k, { visual: v.visual, text: v.text, id_output: v.idOutput ?? v.id_output, ood_output: v.oodOutput ?? v.ood_output }])) };
  snake.JSD_null = { visual: j.JSD_null.visual, text: j.JSD_null.text, output: j.JSD_null.output, half_size: j.JSD_null.halfSize ?? j.JSD_null.half_size };
  delete snake.jsdMixture;
  snake.jsd_mixture = j.jsdMixture ?? j.jsd_mixture;
  assert.deepEqual(fromEmidJson(snake, jsonPath), r);
});

test('report refuses what it cannot render with one line saying what it expected (exit 2)', { timeout: 240_000 }, async () => {
  const dir = tempDir();
  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ hello: 'world' }));
  const emidBad = join(dir, 'emid-bad.json');
  writeFileSync(emidBad, JSON.stringify({ ID: 'a', EMI: { a: 0.1, b: 0.2 }, EMID: { b: -0.1 }, EMID_UB: { b: 1 }, JSD: {}, JSD_null: { visual: 0, text: 0, output: 0, halfSize: 1 }, bound: 'scale-adjusted', jsdMixture: 'equal', estimator: 'x' }));
  const authorsBad = join(dir, 'authors-bad.json');
  writeFileSync(authorsBad, JSON.stringify({ model_name: 'm', EMI: { a: 0.1, b: 'x' }, EMID: { b: 0 }, EMID_UB: { b: 1 }, PearsonR: null, PearsonPval: null }));
  const [a, b, c] = await Promise.all([runCliAsync(['report', other]), runCliAsync(['report', emidBad]), runCliAsync(['report', authorsBad])]);
  assert.equal(a.code, 2);
  assert.equal(a.stderr, `mllmshift: ${other}: not a results file the report can render: expected results.json of \`mllmshift run\`/\`demo\` (keys "run", "scenarios"), \`mllmshift emid --json\` output (keys "ID", "EMI", "EMID", "EMID_UB", "JSD") or one of the authors' result files (keys "model_name", "EMI", "EMID", "EMID_UB", "PearsonR")\n`);
  assert.equal(b.code, 2);
  assert.equal(b.stderr, `mllmshift: ${emidBad} (\`emid --json\` output): JSD: expected "b" (it has an EMID), found no such key\n`);
  assert.equal(c.code, 2);
  assert.equal(c.stderr, `mllmshift: ${authorsBad} (the authors' result file): EMI.b: expected a number, found a string "x"\n`);
  for (const x of [a, b, c]) assert.equal(x.stdout, '');
  assert.throws(() => readResultsFile(join(dir, 'none.json')), (e: unknown) => e instanceof InputError && e.message.endsWith('none.json: file not found'));
});

test("report renders the authors' result files: their EMI/EMID/bound tables, the scatter, the grid in the paper's order", { ...needsOfficial(...AUTHORS.map((f) => `results/${f}`)), timeout: 120_000 }, () => {
  for (const f of AUTHORS) {
    const file = officialPath(`results/${f}`);
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { EMI: Record<string, number>; EMID: Record<string, number>; EMID_UB: Record<string, number>; PearsonR: number; model_name: string };
    const r = readResultsFile(file);
    assert.equal(r.run.source, 'authors');
    assert.equal(r.run.model, raw.model_name);
    // Their files list the scenarios in the paper's order already: ours keeps it.
    assert.deepEqual(r.scenarios.map((s) => s.name), Object.keys(raw.EMI), f);
    for (const s of r.scenarios) {
      assert.equal(s.emi, raw.EMI[s.name]);
      if (s.modality === 'id') continue;
      assert.equal(s.emid, raw.EMID[s.name]);
      assert.equal(s.bound, raw.EMID_UB[s.name]);
    }
    // r recomputed from their EMID and EMID_UB; scipy's value in the file agrees to 1e-9 (official-results.test.ts).
    assert.ok(Math.abs((r.correlations.emidVsBound.pearson.r as number) - raw.PearsonR) < 1e-9, `${f}: r`);
    assert.ok(!r.run.notes.some((n) => n.includes('differs')), `${f}: no disagreement note`);

    const doc = parseHTML(renderReportHtml(r)).document;
    assert.equal(doc.querySelectorAll('#scenario-table tbody tr').length, Object.keys(raw.EMI).length);
    assert.equal(doc.querySelectorAll(`#plot-emid-bound svg.${PLOT_CLASS} circle`).length, Object.keys(raw.EMID).length);
    assert.ok(doc.querySelector('#plot-jsd .placeholder')?.textContent?.includes('hold no JSD terms'));
    const heat = doc.querySelector(`#plot-heatmap svg.${PLOT_CLASS}`) as NonNullable<ReturnType<Doc['querySelector']>>;
    const ticks = (axis: string): string[] => [...heat.querySelectorAll(`g[aria-label="${axis}-axis tick label"] text`)].map((t) => t.textContent ?? '');
    const all = [...heat.querySelectorAll('text')].map((t) => t.textContent);
    if (f.includes('NATURAL')) {
      assert.deepEqual(ticks('y'), ['COCO', 'in-the-wild easy', 'in-the-wild normal', 'in-the-wild hard'], f);
      assert.deepEqual(ticks('x'), ['English', 'German', 'Chinese', 'Korean', 'Greek', 'Arabic', 'Hindi'], f);
      assert.ok(all.includes('Images (LLaVA-Bench split)') && all.includes('Question language'), `${f}: natural grid's axis titles`);
      assert.ok(!all.includes('Image corruption, severity'));
    } else {
      assert.deepEqual(ticks('y'), ['none', 'defocus_blur 1', 'defocus_blur 3', 'defocus_blur 5', 'frost 1', 'frost 3', 'frost 5'], f);
      assert.deepEqual(ticks('x'), ['none', 'sr 4', 'sr 7', 'KeyboardAug 1', 'KeyboardAug 3'], f);
    }
    assert.ok(doc.querySelector('#bound-verdict')?.textContent?.includes(`EMID ≤ bound in ${Object.keys(raw.EMID).length} of ${Object.keys(raw.EMID).length} OOD scenarios; the bound is `));
  }
});
