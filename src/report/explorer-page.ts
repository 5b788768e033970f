/**
 * The explorer's page (`mllmshift serve`, pipeline/explorer.ts): one HTML shell and one script.
 * The script fetches JSON from the same server and builds the DOM with textContent and
 * attributes only (never innerHTML with data), so any model text, however hostile, stays
 * text; the Content-Security-Policy allows nothing but this origin's script, JSON and images.
 *
 * Layout: a scenario picker, a filter, a sort order and the sample list (keyboard: ↑/↓ or j/k
 * move, Enter opens, / focuses the filter); the EMID-vs-bound figure, whose points select
 * their scenario; the open sample under every scenario of the grid at once.
 */
import { escapeHtml as e } from './escape.js';
import { REPORT_CSS } from './html.js';

const CSS = `
main { max-width: none; }
.layout { display: grid; grid-template-columns: 340px 1fr; gap: 20px; align-items: start; }
.side { position: sticky; top: 8px; display: flex; flex-direction: column; gap: 8px; }
.side label { font-size: 13px; color: var(--muted); }
.side select, .side input { width: 100%; font: inherit; padding: 4px 6px; }
#samples { list-style: none; margin: 0; padding: 0; max-height: 60vh; overflow-y: auto; border: 1px solid var(--line); border-radius: 6px; }
#samples:focus { outline: 2px solid var(--accent); }
#samples li { padding: 4px 8px; display: flex; justify-content: space-between; gap: 8px; cursor: pointer; font-size: 13.5px; }
#samples li[aria-selected="true"] { background: #dde7f7; }
#samples li .d { font-variant-numeric: tabular-nums; color: var(--muted); }
#figure svg { max-width: 100%; height: auto; }
#figure circle { cursor: pointer; }
#figure circle.current { stroke: #000; stroke-width: 2.5; }
.views { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
.view { border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; font-size: 13px; }
.view.current { border: 2px solid var(--accent); }
.view h3 { font-size: 13.5px; margin: 0 0 4px; overflow-wrap: anywhere; }
.view img { display: block; max-width: 100%; max-height: 200px; margin: 4px 0; border-radius: 4px; }
.view p { margin: 3px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.view .k { color: var(--muted); font-size: 12px; margin-top: 6px; }
.view .nums { font-variant-numeric: tabular-nums; }
`;

/** The page shell (the script fills it). */
export function explorerPageHtml(runName: string, figureSvg: string | null): string {
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; script-src \'self\'; connect-src \'self\'; img-src \'self\'; style-src \'unsafe-inline\'">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>mllmshift explorer — ${e(runName)}</title><style>${REPORT_CSS}${CSS}</style></head><body><main>` +
    `<h1>mllmshift explorer — ${e(runName)}</h1><p class="subtitle" id="status">Loading…</p>` +
    '<div class="layout"><div class="side">' +
    '<label for="scenario">Scenario (the list ranks its samples by drop)</label><select id="scenario"></select>' +
    '<label for="filter">Filter (sample id or text; / to focus)</label><input id="filter" type="search" autocomplete="off">' +
    '<label for="sort">Sort</label><select id="sort"><option value="drop">largest drop first</option><option value="rise">smallest drop first</option><option value="id">sample id</option></select>' +
    '<label for="samples">Samples (↑/↓ or j/k, Enter opens)</label><ul id="samples" role="listbox" tabindex="0" aria-label="samples"></ul>' +
    '</div><div>' +
    `<figure id="figure" class="plot-card"><h3>EMID vs its upper bound — click a point to rank its samples</h3>${figureSvg ?? '<p class="placeholder">No OOD scenario with EMID and bound.</p>'}</figure>` +
    '<section id="sample"><h2 id="sample-title">Pick a sample</h2><p id="reference" class="table-note"></p><div class="views" id="views"></div></section>' +
    '</div></div></main><script src="/app.js"></script></body></html>\n'
  );
}

/** The page's script (served as /app.js). Plain ES2020, no dependencies. */
export const EXPLORER_SCRIPT = String.raw`'use strict';
const $ = (id) => document.getElementById(id);
const state = { run: null, scenario: null, rows: [], shown: [], active: -1, sample: null };
const fmt = (v, d) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
function el(tag, text, cls) {
  const n = document.createElement(tag);
  if (text !== undefined && text !== null) n.textContent = String(text);
  if (cls) n.className = cls;
  return n;
}
async function get(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(url + ': ' + r.status);
  return r.json();
}
function dropOf(r) { return r.drop !== null ? r.drop : r.contribution; }
function render() {
  const f = $('filter').value.trim().toLowerCase();
  const sort = $('sort').value;
  let rows = state.rows.filter((r) => f === '' || r.id.toLowerCase().includes(f) || (r.text || '').toLowerCase().includes(f));
  if (sort === 'id') rows = rows.slice().sort((a, b) => a.id.localeCompare(b.id));
  else if (sort === 'rise') rows = rows.slice().reverse();
  state.shown = rows;
  const list = $('samples');
  list.replaceChildren(...rows.map((r, i) => {
    const li = el('li');
    li.setAttribute('role', 'option');
    li.dataset.id = r.id;
    li.setAttribute('aria-selected', String(i === state.active));
    li.append(el('span', r.id), el('span', state.run.dropKind === 'judge' && r.drop !== null ? 'drop ' + fmt(r.drop, 1) : 'ΔEMID ' + fmt(r.contribution, 5), 'd'));
    li.addEventListener('click', () => { setActive(i); openSample(r.id); });
    return li;
  }));
}
function setActive(i) {
  const items = $('samples').children;
  if (items.length === 0) return;
  state.active = Math.max(0, Math.min(items.length - 1, i));
  for (let k = 0; k < items.length; k++) items[k].setAttribute('aria-selected', String(k === state.active));
  items[state.active].scrollIntoView({ block: 'nearest' });
}
async function pickScenario(name) {
  state.scenario = name;
  $('scenario').value = name;
  const dots = state.run.figure ? state.run.figure.dots : [];
  document.querySelectorAll('#figure g[aria-label="dot"] circle').forEach((c, i) => c.classList.toggle('current', dots[i] === name));
  const rows = await get('/api/drops?scenario=' + encodeURIComponent(name));
  state.rows = rows;
  state.active = -1;
  render();
  for (const v of document.querySelectorAll('.view')) v.classList.toggle('current', v.dataset.scenario === name);
}
function card(v) {
  const c = el('article', null, 'view');
  c.dataset.scenario = v.scenario;
  if (v.scenario === state.scenario) c.classList.add('current');
  c.append(el('h3', v.scenario + (v.emid === null ? ' (ID)' : ' · EMID ' + fmt(v.emid, 4))));
  const img = el('img');
  img.alt = 'image of ' + v.scenario;
  img.src = v.image;
  img.addEventListener('error', () => img.replaceWith(el('p', '(image not available)', 'k')));
  c.append(img, el('p', 'Question', 'k'), el('p', v.question, 'question'), el('p', 'Model answer', 'k'), el('p', v.answer === null ? '—' : v.answer, 'response'));
  const nums = [];
  if (v.modelScore !== null || v.referenceScore !== null) nums.push('judge: model ' + fmt(v.modelScore, 1) + ', reference ' + fmt(v.referenceScore, 1));
  if (v.drop !== null) nums.push('drop ' + fmt(v.drop, 1));
  if (v.emiContribution !== null) nums.push('EMI contribution ' + fmt(v.emiContribution, 5));
  if (v.emidContribution !== null) nums.push('EMID contribution ' + fmt(v.emidContribution, 5));
  if (nums.length) c.append(el('p', nums.join(' · '), 'k nums'));
  if (v.review) c.append(el('p', 'Judge’s review', 'k'), el('p', v.review, 'review'));
  return c;
}
async function openSample(id) {
  const s = await get('/api/sample?id=' + encodeURIComponent(id));
  state.sample = id;
  $('sample-title').textContent = 'Sample ' + s.id + ' under every shift';
  const ref = s.views.find((v) => v.reference);
  $('reference').textContent = ref ? 'Reference answer: ' + ref.reference : '';
  $('views').replaceChildren(...s.views.map(card));
  history.replaceState(null, '', '#scenario=' + encodeURIComponent(state.scenario) + '&id=' + encodeURIComponent(id));
}
function keys(ev) {
  if (ev.key === 'ArrowDown' || ev.key === 'j') { setActive(state.active + 1); ev.preventDefault(); }
  else if (ev.key === 'ArrowUp' || ev.key === 'k') { setActive(state.active - 1); ev.preventDefault(); }
  else if (ev.key === 'Home') { setActive(0); ev.preventDefault(); }
  else if (ev.key === 'End') { setActive(state.shown.length - 1); ev.preventDefault(); }
  else if (ev.key === 'Enter' && state.active >= 0) { openSample(state.shown[state.active].id); ev.preventDefault(); }
}
async function main() {
  const run = await get('/api/run');
  state.run = run;
  $('status').textContent = run.model + ' · ' + run.scenarios.length + ' scenarios · drop = ' + (run.dropKind === 'judge' ? 'judge score on the ID sample minus on the shifted one' : 'the sample’s leave-one-out contribution to EMID') + (run.simulated ? ' · a SIMULATION demonstrating the pipeline' : '');
  const sel = $('scenario');
  sel.replaceChildren(...run.scenarios.filter((s) => s.emid !== null).map((s) => { const o = el('option', s.label + '  ' + s.name); o.value = s.name; return o; }));
  sel.addEventListener('change', () => pickScenario(sel.value));
  $('filter').addEventListener('input', () => { state.active = -1; render(); });
  $('sort').addEventListener('change', () => { state.active = -1; render(); });
  $('samples').addEventListener('keydown', keys);
  document.addEventListener('keydown', (ev) => { if (ev.key === '/' && document.activeElement !== $('filter')) { $('filter').focus(); ev.preventDefault(); } });
  const dots = run.figure ? run.figure.dots : [];
  document.querySelectorAll('#figure g[aria-label="dot"] circle').forEach((c, i) => {
    c.setAttribute('tabindex', '0');
    c.setAttribute('role', 'button');
    c.setAttribute('aria-label', dots[i]);
    const go = () => pickScenario(dots[i]).then(() => $('samples').focus());
    c.addEventListener('click', go);
    c.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); go(); } });
  });
  const h = new URLSearchParams(location.hash.slice(1));
  const first = h.get('scenario') && dots.includes(h.get('scenario')) ? h.get('scenario') : sel.value;
  if (first) await pickScenario(first);
  if (h.get('id')) await openSample(h.get('id'));
}
main().catch((e) => { $('status').textContent = 'Error: ' + e.message; });
`;
