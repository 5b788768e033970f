import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { readDatasetDir, readDatasetManifest } from '../../src/data/dataset-dir.js';
import { readTree, writeFixture } from './fixture.js';
import { runCliAsync } from '../helpers/cli.js';

/** The CLI as a child process, with no API key in its environment. */
const runCli = (args: string[]) => runCliAsync(args, { env: { OPENAI_API_KEY: '' } });

/** An OpenAI-compatible stub: "translates" by tagging the text with the language. */
function startTranslationStub(): Promise<{ server: Server; url: string; requests: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      n++;
      const msgs = (JSON.parse(body) as { messages: { role: string; content: string }[] }).messages;
      const user = msgs.find((m) => m.role === 'user')!.content;
      const language = /into (\w+)\./.exec(user)![1];
      const text = user.slice(user.indexOf('\n\n') + 2);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `c${n}`, object: 'chat.completion', created: 0, model: 'stub', choices: [{ index: 0, message: { role: 'assistant', content: `"[${language}] ${text}"` }, finish_reason: 'stop' }] }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests: () => n })));
}

let root: string;
let coco: string;
let wild: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'mllmshift-shift-cli-'));
  coco = join(root, 'coco');
  wild = join(root, 'wild');
  await writeFixture(coco, { n: 3 });
  await writeFixture(wild, { n: 8, wild: true, seed: 1 });
  writeFileSync(join(root, 'idx.json'), JSON.stringify({ easy_ood_fst_cd_new: [5, 1, 2, 7], hard_ood_fst_cd_new: [0, 3, 4, 6] }));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('shift --grid custom --json: exit 0, one JSON document, data sets written', async () => {
  const out = join(root, 'out-custom');
  const r = await runCli(['shift', '--dataset', coco, '--out', out, '--grid', 'custom', '--scenarios', 'llava_bench_coco_zoom_blur_2_CharDelete_3,llava_bench_coco_snow_1', '--seed', '5', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.scenarios.map((s: { name: string }) => s.name), ['llava_bench_coco_zoom_blur_2_CharDelete_3', 'llava_bench_coco_snow_1']);
  assert.equal(doc.imagesCorrupted, 6);
  assert.equal(readDatasetDir(join(out, 'llava_bench_coco_snow_1')).length, 3);
  assert.match(r.stderr, /\[2\/2\] /);
});

test('natural grid: translations through an OpenAI-compatible endpoint, easy/hard halves from index lists, cached re-run is byte-identical', async () => {
  const stub = await startTranslationStub();
  try {
    const scenarios = ['llava_bench_coco_English', 'llava_bench_coco_German', 'llava_bench_in_the_wild_easy_Korean', 'llava_bench_in_the_wild_hard_Korean', 'llava_bench_in_the_wild_normal_English'];
    const args = (out: string) => [
      'shift', '--dataset', coco, '--out', out, '--grid', 'natural', '--scenarios', scenarios.join(','),
      '--wild-dataset', wild, '--split-index', join(root, 'idx.json'), '--base-url', stub.url, '--model', 'stub-model',
      '--translations', join(root, 'translations.json'), '--workers', '0',
    ];
    const r1 = await runCli(args(join(root, 'nat-1')));
    assert.equal(r1.code, 0, r1.stderr);
    const first = stub.requests();
    assert.equal(first, 3 + 4, 'one request per distinct (text, language): 3 COCO questions into German, 4 in-the-wild texts into Korean');
    const german = readDatasetDir(join(root, 'nat-1', 'llava_bench_coco_German'));
    assert.equal(german[0].question, '[German] What is the color of the two suitcases in the image? Please answer in English.');
    const english = readDatasetDir(join(root, 'nat-1', 'llava_bench_coco_English'));
    assert.equal(english[0].question, 'What is the color of the two suitcases in the image?');
    const easy = readDatasetDir(join(root, 'nat-1', 'llava_bench_in_the_wild_easy_Korean'));
    assert.deepEqual(easy.map((s) => s.id), ['5', '1', '2', '7']);
    assert.ok(easy.every((s) => s.question.startsWith('[Korean] ') && s.question.endsWith(' Please answer in English.')));
    assert.deepEqual(readDatasetDir(join(root, 'nat-1', 'llava_bench_in_the_wild_hard_Korean')).map((s) => s.id), ['0', '3', '4', '6']);
    assert.equal(readDatasetDir(join(root, 'nat-1', 'llava_bench_in_the_wild_normal_English')).length, 8);
    const m = readDatasetManifest(join(root, 'nat-1', 'llava_bench_in_the_wild_easy_Korean'))!;
    assert.equal(m.modality, 'joint');
    assert.deepEqual((m.source as { split_rule: { method: string } }).split_rule.method, 'index list');
    assert.equal((m.text_shift as { suffix: string }).suffix, ' Please answer in English.');

    const r2 = await runCli(args(join(root, 'nat-2')));
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(stub.requests(), first, 'the second run is served from the translation cache');
    const a = readTree(join(root, 'nat-1'));
    const b = readTree(join(root, 'nat-2'));
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${k} differs`);
  } finally {
    stub.server.close();
  }
});

test('bad input exits 2 with one line naming the place', async () => {
  const out = join(root, 'out-bad');
  // malformed questions file: file and line
  const bad = join(root, 'bad-q');
  await writeFixture(bad, { n: 2 });
  writeFileSync(join(bad, 'qa90_questions.jsonl'), readFileSync(join(bad, 'qa90_questions.jsonl'), 'utf8') + '{"question_id": 9, "image": \n');
  // an image that is not an image: the sample is named (raised in a worker thread)
  const broken = join(root, 'bad-img');
  await writeFixture(broken, { n: 2 });
  writeFileSync(join(broken, 'coco_001.jpg'), 'not a jpeg');
  // a parquet file that is not parquet
  writeFileSync(join(root, 'bad.parquet'), 'PAR1 nope');
  const [q, img, pq] = await Promise.all([
    runCli(['shift', '--dataset', bad, '--out', out]),
    runCli(['shift', '--dataset', broken, '--out', out, '--grid', 'custom', '--scenarios', 'llava_bench_coco_contrast_2', '--workers', '1']),
    runCli(['shift', '--dataset', join(root, 'bad.parquet'), '--out', out]),
  ]);
  for (const r of [q, img, pq]) assert.equal(r.code, 2, r.stderr);
  for (const r of [q, img, pq]) assert.equal(r.stderr.trim().split('\n').length, 1, `one line, no stack: ${r.stderr}`);
  assert.match(q.stderr, /qa90_questions\.jsonl:3: not valid JSON/);
  assert.match(img.stderr, /sample 1: .*coco_001\.jpg: cannot decode image/);
  assert.match(pq.stderr, /bad\.parquet: not a readable parquet file/);
});
