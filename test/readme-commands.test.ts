/**
 * The README's commands run as written. Every ```sh block of README.md is taken line by line
 * (continuations joined, comments dropped) and run with sh in one scratch folder, in order, with
 * `npx mllmshift` (and `mllmshift`, once linked) meaning this checkout's CLI. The folder holds
 * what the README tells the user to have: `data/llava-bench-coco` (a generated data set), `CLUB_global.pt` (a seeded estimator
 * of the paper's shape) and the repository's `examples/`. The only rewrites: the endpoints the
 * README names (127.0.0.1:8000 and api.openai.com) point at a local fake chat server, and the
 * Hugging Face hub (`models pull`) at a local server of tiny encoders of the paper's layout.
 * Lines starting with `npm ` (installing, testing, linking this very checkout) are not run.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers/tmp.js';
import { writeSeededClub } from './helpers/estimator.js';
import { startFakeServer, userText } from './llm/fake-server.js';
import { makeSamples } from './llm/helpers.js';
import { writeTinyClip, writeTinyXlmr } from './encode/fixtures.js';
import { writeDatasetDir } from '../src/data/dataset-dir.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
/** tsx resolved from this checkout, since the commands run in another folder. */
const TSX = import.meta.resolve('tsx');

/** The README's shell commands, in order: `\`-continuations joined, comments and blank lines dropped. */
export function readmeCommands(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    const joined = block[1].replace(/\\\n\s*/g, '');
    for (const line of joined.split('\n')) {
      const cmd = line.replace(/\s+#.*$/, '').trim();
      if (cmd !== '' && !cmd.startsWith('#')) out.push(cmd);
    }
  }
  return out;
}

/** Serves `dir/<repo>/<file>` as the hub's `/<repo>/resolve/main/<file>`. */
async function startHub(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const m = /^\/(.+?\/.+?)\/resolve\/main\/(.+)$/.exec(req.url ?? '');
    const file = m ? join(dir, m[1], m[2]) : '';
    if (!m || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

function sh(command: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = `"${process.execPath}" --import "${TSX}" "${MAIN}"`;
  const prelude = `mllmshift() { ${cli} "$@"; }\nnpx() { if [ "$1" = mllmshift ]; then shift; ${cli} "$@"; else command npx "$@"; fi; }\n`;
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', prelude + command], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

test('readmeCommands: joins continuations, drops comments', () => {
  assert.deepEqual(readmeCommands('x\n```sh\n# c\na --b \\\n  c   # why\n\nd\n```\n```json\n{}\n```\n'), ['a --b c', 'd']);
});

test('every command of the README runs as written against generated data and local endpoints', async () => {
  const work = tempDir('mllmshift-readme-');
  const chat = await startFakeServer((req) => ({ kind: 'text', text: req.body.model === 'gpt-4o' ? '8 6\nThe reference is more precise.' : `It shows ${userText(req.body).slice(0, 40)}` }));
  after(() => chat.close());
  const hubDir = join(work, '.hub');
  writeTinyClip(join(hubDir, 'Xenova', 'clip-vit-base-patch32'), 768, 3);
  writeTinyXlmr(join(hubDir, 'FacebookAI', 'xlm-roberta-base'), { dim: 768 });
  const hub = await startHub(hubDir);
  after(() => hub.close());

  const study = join(work, 'study');
  mkdirSync(study);
  writeDatasetDir(join(study, 'data', 'llava-bench-coco'), await makeSamples(6), { name: 'llava_bench_coco' });
  writeSeededClub(study, 'pt', 7, 'CLUB_global.pt');
  cpSync(join(ROOT, 'examples'), join(study, 'examples'), { recursive: true });
  const endpoints = (s: string): string => s.replaceAll('http://127.0.0.1:8000/v1', chat.url).replaceAll('https://api.openai.com/v1', chat.url);
  for (const f of readdirSync(join(study, 'examples'))) writeFileSync(join(study, 'examples', f), endpoints(readFileSync(join(study, 'examples', f), 'utf8')));
  const env = { MLLMSHIFT_CACHE_DIR: join(work, '.cache'), HF_ENDPOINT: hub.url, OPENAI_API_KEY: 'sk-readme-test' };

  const commands = readmeCommands(readFileSync(join(ROOT, 'README.md'), 'utf8')).filter((c) => !c.startsWith('npm '));
  assert.ok(commands.some((c) => c.includes('--ood emb/*_*.safetensors')), 'the headline emid command is in the README');
  for (const command of commands) {
    const r = await sh(endpoints(command), study, env);
    assert.equal(r.code, 0, `${command}\n${r.stderr}`);
    if (/\s--json(\s|$)/.test(command)) JSON.parse(r.stdout);
    if (command.includes('--ood emb/*_*.safetensors')) {
      // The glob matched the ID set too: left out with one notice.
      assert.match(r.stderr, /--ood also names the --id file emb\/llava_bench_coco\.safetensors; it is left out/);
      assert.deepEqual(Object.keys(JSON.parse(r.stdout).EMID), ['llava_bench_coco_frost_5']);
    }
  }
  const written = (d: string): string[] => readdirSync(join(study, d)).map((f) => relative(study, join(study, d, f)));
  assert.deepEqual(written('emb').sort(), ['emb/llava_bench_coco.safetensors', 'emb/llava_bench_coco_frost_5.safetensors']);
});
