/**
 * `mllmshift report --export DIR`: every figure as SVG and PNG, every table as CSV and LaTeX,
 * named after the figure; the CSV parses back to the numbers of results.json exactly; the
 * LaTeX is checked for syntax (balanced braces and environments, escaped specials, one & per
 * column) and compiled when a TeX engine is installed; the page links every file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseHTML } from 'linkedom';
import sharp from 'sharp';
import { PNG_SCALE } from '../../src/report/export.js';
import { latexEscape } from '../../src/report/tables.js';
import type { RunResults } from '../../src/report/run-results.js';
import { makeRunResults, XSS_SCENARIO } from './report-fixture.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const FIGURES = ['fig-emid-bound', 'fig-emi-outcome', 'fig-emid-by-scenario', 'fig-emid-grid', 'fig-jsd'];
const TABLES = ['table-scenarios', 'table-correlations'];

/** RFC 4180 CSV → rows of fields (quoted fields may hold commas, quotes and newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += c;
  }
  assert.equal(field, '', 'the file ends with CRLF');
  return rows;
}

const TEX_ENGINE = ['pdflatex', 'lualatex', 'xelatex'].find((e) => spawnSync('sh', ['-c', `command -v ${e}`]).status === 0);

/** Structural LaTeX checks; returns the body rows (between \midrule and \bottomrule). */
function checkLatex(tex: string, columns: number, file: string): string[] {
  const code = tex.split('\n').filter((l) => !l.startsWith('%')).join('\n');
  // Braces balance, ignoring escaped \{ and \}.
  let depth = 0;
  for (const m of code.replace(/\\[{}]/g, '').matchAll(/[{}]/g)) {
    depth += m[0] === '{' ? 1 : -1;
    assert.ok(depth >= 0, `${file}: a } without its {`);
  }
  assert.equal(depth, 0, `${file}: braces balance`);
  const envs: string[] = [];
  for (const m of code.matchAll(/\\(begin|end)\{([^}]+)\}/g)) {
    if (m[1] === 'begin') envs.push(m[2]);
    else assert.equal(envs.pop(), m[2], `${file}: \\end{${m[2]}} closes its \\begin`);
  }
  assert.deepEqual(envs, [], `${file}: every environment closed`);
  for (const rule of ['\\toprule', '\\midrule', '\\bottomrule']) assert.equal(code.split(rule).length - 1, 1, `${file}: one ${rule}`);
  // Outside math, no unescaped specials; every & separates columns.
  const text = code.replace(/\$[^$]*\$/g, '');
  assert.ok(!/(?<!\\)[_%#]/.test(text), `${file}: _ % # escaped`);
  const body = code.slice(code.indexOf('\\midrule') + 8, code.indexOf('\\bottomrule')).trim().split('\n');
  for (const line of [...body, code.split('\n').find((l) => l.includes('\\\\') && !body.includes(l)) as string]) {
    assert.equal(line.replace(/\\&/g, '').split('&').length, columns, `${file}: ${columns} cells in "${line}"`);
    assert.ok(line.endsWith('\\\\'), `${file}: row ends with \\\\`);
  }
  return body;
}

test('latexEscape: the specials, the Greek of the headers, the middle dot and ×', () => {
  assert.equal(latexEscape('a_b 5% & #1 $x {y} ~ ^ \\ |z| <>'), 'a\\_b 5\\% \\& \\#1 \\$x \\{y\\} \\~{} \\^{} \\textbackslash{} \\textbar{}z\\textbar{} \\textless{}\\textgreater{}');
  assert.equal(latexEscape('Spearman ρ, Kendall τ, EMID≤bound, p (EMID≠0), easy·de, 87×'), 'Spearman $\\rho$, Kendall $\\tau$, EMID$\\le$bound, p (EMID$\\neq$0), easy\\textperiodcentered{}de, 87$\\times$');
});

test('report --export: SVG+PNG per figure, CSV+LaTeX per table; CSV parses back to results.json; LaTeX well-formed; the page links them', { timeout: 240_000 }, async () => {
  const dir = tempDir('mllmshift-export-');
  const base = makeRunResults({ violation: true });
  // A hostile, CSV- and LaTeX-unfriendly scenario name, to check quoting and escaping.
  const odd = `${XSS_SCENARIO} "q", 50% & #1_x`;
  const results: RunResults = { ...base, scenarios: base.scenarios.map((s, i) => (i === 3 ? { ...s, name: odd } : s)) };
  const file = join(dir, 'results.json');
  writeFileSync(file, JSON.stringify(results));
  const page = join(dir, 'site', 'report.html');
  const exp = join(dir, 'site', 'figures');
  const r = await runCliAsync(['report', file, '--out', page, '--export', exp, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const expected = [...FIGURES.flatMap((f) => [`${f}.svg`, `${f}.png`]), ...TABLES.flatMap((t) => [`${t}.csv`, `${t}.tex`])];
  assert.deepEqual(JSON.parse(r.stdout).exported, expected.map((f) => join(exp, f)));
  assert.deepEqual(readdirSync(exp).sort(), [...expected].sort(), 'nothing else in the folder');

  // Figures: standalone SVG documents; the PNG is the SVG at PNG_SCALE×.
  for (const f of FIGURES) {
    const svg = readFileSync(join(exp, `${f}.svg`), 'utf8');
    assert.ok(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '), f);
    assert.ok(!/<script/i.test(svg), `${f}: no script (the hostile name is escaped)`);
    const [, w, h] = /width="(\d+)" height="(\d+)"/.exec(svg) as RegExpExecArray;
    const meta = await sharp(join(exp, `${f}.png`)).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, PNG_SCALE * Number(w), `${f}: PNG width`);
    assert.equal(meta.height, PNG_SCALE * Number(h), `${f}: PNG height`);
    // Not a blank image: the rasterised marks leave many distinct colours.
    const { data, info } = await sharp(join(exp, `${f}.png`)).raw().toBuffer({ resolveWithObject: true });
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += info.channels) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    assert.ok(colours.size > 20, `${f}: ${colours.size} colours`);
  }
  const boundSvg = readFileSync(join(exp, 'fig-emid-bound.svg'), 'utf8');
  assert.ok(boundSvg.includes('Pearson r = '), 'the correlation is part of the exported figure');
  assert.ok(boundSvg.includes('EMID (CLUB score, not calibrated nats)'));

  // CSV: exactly the numbers of results.json.
  const csv = parseCsv(readFileSync(join(exp, 'table-scenarios.csv'), 'utf8'));
  const [head, ...rows] = csv;
  assert.equal(rows.length, results.scenarios.length);
  const col = (k: string): number => { const j = head.indexOf(k); assert.ok(j >= 0, `column ${k}`); return j; };
  const num = (v: string): number | null => (v === '' ? null : Number(v));
  for (const [i, s] of results.scenarios.entries()) {
    const row = rows[i];
    assert.equal(row.length, head.length);
    assert.equal(row[col('scenario')], s.name);
    assert.equal(num(row[col('n')]), s.n);
    assert.equal(num(row[col('EMI')]), s.emi);
    assert.deepEqual([num(row[col('EMI_lo')]), num(row[col('EMI_hi')])], s.emiCi95 ? [...s.emiCi95] : [null, null]);
    assert.equal(num(row[col('EMID')]), s.emid);
    assert.deepEqual([num(row[col('EMID_lo')]), num(row[col('EMID_hi')])], s.emidCi95 ? [...s.emidCi95] : [null, null]);
    assert.equal(num(row[col('EMID_p')]), s.emidPValue);
    assert.equal(num(row[col('J_v')]), s.jsd?.visual ?? null);
    assert.equal(num(row[col('J_t')]), s.jsd?.text ?? null);
    assert.equal(num(row[col('J_Q')]), s.jsd?.oodOutput ?? null);
    assert.equal(num(row[col('EMID_UB')]), s.bound);
    assert.equal(row[col('bound_holds')], s.boundHolds === null ? '' : String(s.boundHolds));
    assert.equal(num(row[col('relative_preference')]), s.judge?.relativePreference ?? null);
    assert.equal(num(row[col('win_rate')]), s.judge?.winRate ?? null);
  }
  const corr = parseCsv(readFileSync(join(exp, 'table-correlations.csv'), 'utf8'));
  assert.equal(corr[1][0], 'EMID vs upper bound (OOD)');
  assert.equal(Number(corr[1][corr[0].indexOf('pearson_r')]), results.correlations.emidVsBound.pearson.r);
  assert.equal(Number(corr[1][corr[0].indexOf('pearson_p')]), results.correlations.emidVsBound.pearson.p);

  // LaTeX: well-formed, the odd name escaped.
  const texScen = readFileSync(join(exp, 'table-scenarios.tex'), 'utf8');
  const body = checkLatex(texScen, head.length - 2 * 4, 'table-scenarios.tex');
  assert.equal(body.length, results.scenarios.length);
  assert.ok(body[3].startsWith(`${latexEscape(odd)} & `), body[3]);
  checkLatex(readFileSync(join(exp, 'table-correlations.tex'), 'utf8'), 8, 'table-correlations.tex');

  // The page links every exported file, relative to itself.
  const doc = parseHTML(readFileSync(page, 'utf8')).document;
  const hrefs = [...doc.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') as string);
  assert.deepEqual([...hrefs].sort(), expected.map((f) => `figures/${f}`).sort());
  for (const h of hrefs) assert.ok(existsSync(resolve(dirname(page), h)), h);
  assert.equal(doc.querySelector('#plot-emid-bound h3 a')?.getAttribute('href'), 'figures/fig-emid-bound.svg');
});

test('report --export: the LaTeX tables compile in a booktabs document', { skip: TEX_ENGINE ? false : 'no TeX engine (pdflatex, lualatex or xelatex) installed: the LaTeX syntax checks above still ran', timeout: 240_000 }, async () => {
  const dir = tempDir('mllmshift-tex-');
  const file = join(dir, 'results.json');
  writeFileSync(file, JSON.stringify(makeRunResults()));
  const r = await runCliAsync(['report', file, '--export', join(dir, 'x')]);
  assert.equal(r.code, 0, r.stderr);
  for (const t of TABLES) copyFileSync(join(dir, 'x', `${t}.tex`), join(dir, `${t}.tex`));
  writeFileSync(join(dir, 'doc.tex'), `\\documentclass{article}\\usepackage[utf8]{inputenc}\\usepackage[T1]{fontenc}\\usepackage{booktabs}\\usepackage{graphicx}\\begin{document}\\resizebox{\\textwidth}{!}{\\input{table-scenarios}}\n\\input{table-correlations}\\end{document}\n`);
  const c = spawnSync(TEX_ENGINE as string, ['-interaction=nonstopmode', '-halt-on-error', 'doc.tex'], { cwd: dir, encoding: 'utf8' });
  assert.equal(c.status, 0, c.stdout.slice(-2000));
});
