/**
 * `models pull --only club|lbwild-split|llava-rules` against a static file server on 127.0.0.1
 * serving test-made files (MLLMSHIFT_ARTEFACTS_BASE_URL): sha256 verified, checksum mismatches
 * refused and nothing kept, the split index read out of a zip'd pickle without executing it,
 * offline errors naming the URL and the destination, `--estimator paper` and `--protocol
 * llava-bench` resolving from the cache.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import {
  artefactPath, artefactSpec, llavaRulesFiles, pullArtefact, resolveEstimatorPath, type ArtefactSpec,
} from '../../src/encode/artefacts.js';
import { InputError, RemoteError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { makeZip } from '../helpers/zip.js';
import { hostilePickle } from '../helpers/torch-pickle.js';
import { runCliAsync } from '../helpers/cli.js';
import { CLUB_GLOBAL, needsOfficial } from '../helpers/official.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Serves `files` (URL path → bytes); everything else is 404. */
const files = new Map<string, Buffer>();
const server = createServer((req, res) => {
  const body = files.get(req.url ?? '');
  if (!body) res.writeHead(404).end('not found');
  else res.writeHead(200, { 'content-length': String(body.length) }).end(body);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => new Promise<void>((r) => server.close(() => r())));

const serve = (spec: ArtefactSpec, path: string, body: Buffer) => files.set(`/${spec.repo}/${spec.commit}/${path}`, body);

/** A protocol-4 pickle of {key: [ints…], …}, written opcode by opcode (as Python's pickle does). */
function listsPickle(lists: Record<string, number[]>): Buffer {
  const parts: number[] = [0x80, 4, 0x7d, 0x94, 0x28];
  for (const [k, v] of Object.entries(lists)) {
    const key = Buffer.from(k, 'utf8');
    parts.push(0x8c, key.length, ...key, 0x94, 0x5d, 0x94, 0x28);
    for (const x of v) parts.push(0x4b, x);
    parts.push(0x65);
  }
  parts.push(0x75, 0x2e);
  return Buffer.from(parts);
}

test('club: downloaded, sha256-verified, stored in the cache; --estimator paper resolves to it', async () => {
  const dir = tempDir();
  const body = Buffer.from('test-made estimator bytes');
  const real = artefactSpec('club');
  const spec: ArtefactSpec = { ...real, files: [{ ...real.files[0], sha256: sha(body) }] };
  serve(spec, spec.files[0].path, body);
  assert.throws(() => resolveEstimatorPath('paper', dir), (e: unknown) => e instanceof InputError && /models pull --only club/.test(e.message));
  const r = await pullArtefact(spec, { modelDir: dir, baseUrl: base, progress: false });
  assert.equal(r.status, 'downloaded');
  assert.equal(r.path, join(dir, 'deeplearning-wisc/mllmshift-emi/estimator_ckpt/CLUB_global.pt'));
  assert.deepEqual(readFileSync(r.path), body);
  assert.equal((await pullArtefact(spec, { modelDir: dir, baseUrl: base })).status, 'present');
  assert.equal(resolveEstimatorPath('paper', dir), r.path);
  assert.equal(resolveEstimatorPath('my.pt', dir), 'my.pt');
});

test('a download whose sha256 differs is refused and not kept (the registered checksum)', async () => {
  const dir = tempDir();
  const spec = artefactSpec('club');
  serve(spec, spec.files[0].path, Buffer.from('not the authors\' file'));
  await assert.rejects(pullArtefact(spec, { modelDir: dir, baseUrl: base, progress: false }), (e: unknown) => e instanceof RemoteError && /sha256 of the download is [0-9a-f]{64}, expected 99ab0626/.test(e.message));
  const dest = artefactPath(spec, spec.files[0].path, dir);
  assert.ok(!existsSync(dest) && !existsSync(`${dest}.part`));
  // A wrong file put there by hand is refused too.
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, 'hand-copied junk');
  await assert.rejects(pullArtefact(spec, { modelDir: dir, baseUrl: base }), (e: unknown) => e instanceof InputError && /sha256 is .* expected 99ab0626.*--force/.test(e.message));
});

test('lbwild-split: the lists come out of data.zip\'s pickle (restricted unpickler), are checked and stored as JSON', async () => {
  const dir = tempDir();
  const easy = [9, 8, 41, 0, 2];
  const hard = [1, 3, 4, 5, 6];
  const pkl = listsPickle({ hard_ood_fst_cd_new: hard, hard_ood_lst_cd_new: [7], easy_ood_fst_cd_new: easy, easy_ood_lst_cd_new: [8] });
  const zip = makeZip({ 'data/': new Uint8Array(0), 'data/lbwild_split_idx_dict.pkl': pkl, 'data/other.jsonl': Buffer.from('{}\n') }, true);
  const real = artefactSpec('lbwild-split');
  const canonical = `{"easy_ood_fst_cd_new":[${easy.join(',')}],"hard_ood_fst_cd_new":[${hard.join(',')}]}`;
  const spec: ArtefactSpec = { ...real, files: [{ ...real.files[0], sha256: sha(zip) }], listsSha256: sha(canonical) };
  serve(spec, 'data.zip', zip);
  const r = await pullArtefact(spec, { modelDir: dir, baseUrl: base, progress: false });
  assert.equal(readFileSync(r.path, 'utf8'), `${canonical}\n`);
  // The same archive checked against other lists' checksum: refused, nothing stored.
  const dir2 = tempDir();
  await assert.rejects(pullArtefact({ ...spec, listsSha256: sha('other') }, { modelDir: dir2, baseUrl: base }), /split lists' sha256 is/);
  assert.ok(!existsSync(artefactPath(spec, spec.product, dir2)));
  // A pickle that names a global is refused, never run.
  const evil = makeZip({ 'data/lbwild_split_idx_dict.pkl': hostilePickle() });
  const evilSpec: ArtefactSpec = { ...spec, files: [{ ...spec.files[0], sha256: sha(evil) }] };
  files.set(`/${spec.repo}/${spec.commit}/data.zip`, evil);
  await assert.rejects(pullArtefact(evilSpec, { modelDir: tempDir(), baseUrl: base }), (e: unknown) => e instanceof InputError && /refusing global os\.system/.test(e.message));
});

test('llava-rules: rule.json and the review script; the system line is read from the script', async () => {
  const dir = tempDir();
  const rules = Buffer.from(JSON.stringify({ llava_bench_conv: { role: 'Assistant', prompt: 'P' } }));
  const script = Buffer.from("response = openai.ChatCompletion.create(\n    messages=[{\n        'role': 'system',\n        'content': 'A test system line.'\n    }, {\n");
  const real = artefactSpec('llava-rules');
  const spec: ArtefactSpec = { ...real, files: [{ ...real.files[0], sha256: sha(rules) }, { ...real.files[1], sha256: sha(script) }] };
  serve(spec, spec.files[0].path, rules);
  serve(spec, spec.files[1].path, script);
  assert.throws(() => llavaRulesFiles(dir), /models pull --only llava-rules/);
  await pullArtefact(spec, { modelDir: dir, baseUrl: base, progress: false });
  const got = llavaRulesFiles(dir);
  assert.equal(got.system, 'A test system line.');
  assert.equal(got.rules, join(dir, 'haotian-liu/LLaVA/llava/eval/table/rule.json'));
});

test('CLI: offline, `models pull --only club` says which URL to fetch by hand and where to put it (exit 1); status lists the artefacts', async () => {
  const dir = tempDir();
  const r = await runCliAsync(['models', 'pull', '--only', 'club', '--model-dir', dir], { env: { MLLMSHIFT_ARTEFACTS_BASE_URL: 'http://127.0.0.1:9' } });
  assert.equal(r.code, 1, r.stderr);
  const dest = join(dir, 'deeplearning-wisc/mllmshift-emi/estimator_ckpt/CLUB_global.pt');
  assert.ok(r.stderr.includes('fetch http://127.0.0.1:9/deeplearning-wisc/mllmshift-emi/80beb58f3911b8470973a96071226b09ed172893/estimator_ckpt/CLUB_global.pt by hand'), r.stderr);
  assert.ok(r.stderr.includes(`save it as ${dest}`), r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  const s = await runCliAsync(['models', 'status', '--model-dir', dir, '--json']);
  const status = JSON.parse(s.stdout) as { artefacts: { artefact: string; found: string | null }[] };
  assert.deepEqual(status.artefacts.map((a) => [a.artefact, a.found]), [['club', null], ['lbwild-split', null], ['llava-rules', null]]);
  const mismatch = await runCliAsync(['models', 'pull', '--only', 'club', '--model-dir', dir], { env: { MLLMSHIFT_ARTEFACTS_BASE_URL: base } });
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /sha256 of the download is/);
});

test('CLI: the authors\' CLUB_global.pt copied by hand is verified by `models pull --only club` and used by --estimator paper', needsOfficial('CLUB_global.pt'), async () => {
  const dir = tempDir();
  const dest = join(dir, 'deeplearning-wisc/mllmshift-emi/estimator_ckpt/CLUB_global.pt');
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(CLUB_GLOBAL, dest);
  const r = await runCliAsync(['models', 'pull', '--only', 'club', '--model-dir', dir], { env: { MLLMSHIFT_ARTEFACTS_BASE_URL: 'http://127.0.0.1:9' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /club: present \(sha256 verified\)/);
  const s = await runCliAsync(['models', 'status', '--model-dir', dir]);
  assert.ok(s.stdout.includes(`club: the authors' CLUB estimator (CLUB_global.pt, 3.1 MB): ${dest}`), s.stdout);
});
