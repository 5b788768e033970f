// Runs every test/**/*.test.ts with node:test through tsx. Node 20's --test takes no globs,
// so the files are listed here. Extra arguments are passed to node (e.g. --test-name-pattern).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--'));
let files = find('test');
if (filters.length > 0) files = files.filter((f) => filters.some((s) => f.includes(s)));
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...flags, ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
