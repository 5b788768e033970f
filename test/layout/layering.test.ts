/**
 * The layering of docs/design.md, enforced on the import graph of src/: folders form no cycle,
 * `core` imports nothing of the project's, and every import points to a lower layer or to a
 * peer of the same layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Layer of each top-level unit of src/ (a folder, or a file such as errors.ts); higher may import lower. */
const LAYER: Record<string, number> = {
  core: 0,
  errors: 0,
  version: 0,
  'types.d': 0,
  io: 1,
  data: 2,
  accel: 2,
  encode: 3,
  llm: 3,
  shift: 3,
  report: 3,
  pipeline: 4,
  monitor: 5,
  demo: 5,
  cli: 6,
  index: 6,
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function unitOf(path: string): string {
  return relative(SRC, path).split('/')[0].replace(/\.(ts|js)$/, '');
}

/** unit → unit → the files making that import. */
function importGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  const spec = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const file of sourceFiles(SRC)) {
    const from = unitOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(spec)) {
      const to = unitOf(resolve(dirname(file), m[1] ?? m[2]));
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      edges.set(to, [...(edges.get(to) ?? []), relative(SRC, file)]);
      graph.set(from, edges);
    }
  }
  return graph;
}

test('every unit of src/ has a layer', () => {
  const units = new Set(sourceFiles(SRC).map(unitOf));
  const missing = [...units].filter((u) => !(u in LAYER));
  assert.deepEqual(missing, [], `units with no layer in this test (add them to LAYER and to docs/design.md): ${missing.join(', ')}`);
});

test('imports point downwards or to a peer; core imports nothing of the project', () => {
  const wrong: string[] = [];
  for (const [from, edges] of importGraph()) {
    for (const [to, files] of edges) {
      if (from === 'core' || LAYER[to] > LAYER[from]) wrong.push(`${from} → ${to} (${files.join(', ')})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the folders of src/ form no import cycle', () => {
  const graph = importGraph();
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (u: string): void => {
    state.set(u, 'open');
    stack.push(u);
    for (const v of graph.get(u)?.keys() ?? []) {
      if (state.get(v) === 'open') cycles.push([...stack.slice(stack.indexOf(v)), v].join(' → '));
      else if (!state.has(v)) visit(v);
    }
    stack.pop();
    state.set(u, 'done');
  };
  for (const u of [...graph.keys()].sort()) if (!state.has(u)) visit(u);
  assert.deepEqual(cycles, [], 'import cycles between folders');
});
