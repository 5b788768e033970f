// Runs every test/**/*.test.ts with node:test through tsx. Node 20's --test takes no globs,
// so the files are listed here. Extra arguments are passed to node (e.g. --test-name-pattern).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
// Caches (responses, embeddings, models) go to a folder of this run's own, never the user's
// ~/.cache; test/helpers/cli.ts gives each test file's CLI children one of their own inside it.
const cacheDir = mkdtempSync(join(tmpdir(), 'mllmshift-test-cache-'));
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...flags, ...files],
  { stdio: 'inherit', env: { ...process.env, MLLMSHIFT_CACHE_DIR: process.env.MLLMSHIFT_CACHE_DIR ?? cacheDir } },
);
rmSync(cacheDir, { recursive: true, force: true });
process.exit(r.status ?? 1);
