/**
 * `run examples/paper-natural.yaml` end to end on generated data, with only what must be local
 * overridden: the data set paths, the three endpoints (model, judge, translation: one fake
 * server on 127.0.0.1 answering by model name), the built-in encoders and a small trained
 * estimator instead of the paper's (no weights in tests), and a test-made rule file in LLaVA's
 * format with its system line instead of the pulled LLaVA rules.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { naturalGrid } from '../../src/data/scenarios.js';
import { tempDir } from '../helpers/tmp.js';
import { runCliAsync } from '../helpers/cli.js';
import { startFakeServer, userText, type Reply, type SeenRequest } from '../llm/fake-server.js';
import { writeLlavaSet } from '../llm/helpers.js';
import { jpeg, writeHfParquet } from '../helpers/parquet.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/paper-natural.yaml', import.meta.url));
const SYSTEM = 'Test reviewer system line.';
const RULES = Object.fromEntries(['conv', 'detail', 'complex'].flatMap((c) => [
  [c, { role: 'Assistant', prompt: `COCO ${c} rule.` }],
  [`llava_bench_${c}`, { role: 'Assistant', prompt: `WILD ${c} rule.` }],
]));

const behave = (req: SeenRequest): Reply => {
  const text = userText(req.body);
  if (req.body.model === 'translator') {
    const m = /into (\w+)\. Reply with the translation only[^\n]*\n\n([\s\S]*)$/.exec(text)!;
    return { kind: 'text', text: `${m[1].toUpperCase()}: ${m[2]}` };
  }
  if (req.body.model === 'judge-test') return { kind: 'text', text: '8 6\nThe reference is better.' };
  return { kind: 'text', text: `An answer to: ${text}` };
};
const server = await startFakeServer(behave);
after(() => server.close());

const lines = (p: string) => readFileSync(p, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

test('run reproduces the natural grid from examples/paper-natural.yaml against local servers', async () => {
  const dir = tempDir();
  await writeLlavaSet(join(dir, 'coco'), true, 6, ' (coco)');
  await writeLlavaSet(join(dir, 'wild'), false, 6, ' (wild)');
  writeFileSync(join(dir, 'split.json'), JSON.stringify({ easy_ood_fst_cd_new: [4, 0, 2], hard_ood_fst_cd_new: [1, 5, 3] }));
  writeFileSync(join(dir, 'rule.json'), JSON.stringify(RULES));
  const config = parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, Record<string, unknown>>;
  config.out = join(dir, 'out') as never;
  config.data = { ...config.data, id: join(dir, 'coco'), wild: join(dir, 'wild'), wild_split: { index: join(dir, 'split.json') } };
  config.translation = { ...config.translation, name: 'translator', base_url: server.url, api_key_env: undefined, cache: join(dir, 'out', 'translations.json') };
  config.model = { ...config.model, name: 'llava-test', base_url: server.url };
  const { protocol: _drop, api_key_env: _key, ...judge } = config.judge;
  config.judge = { ...judge, name: 'judge-test', base_url: server.url, rules: join(dir, 'rule.json'), system_prompt: SYSTEM };
  config.encoders = { kind: 'builtin' };
  config.estimator = { train: { epochs: 2, batch_size: 8 } };
  config.report = { ...config.report, html: false };
  const cfg = join(dir, 'natural.yaml');
  writeFileSync(cfg, stringify(config));

  const r = await runCliAsync(['run', cfg], { timeoutMs: 540_000 });
  assert.equal(r.code, 0, r.stderr);
  const out = join(dir, 'out');
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { scenarios: { name: string }[]; settings?: unknown };
  const grid = naturalGrid().map((s) => s.name);
  assert.deepEqual(results.scenarios.map((s) => s.name).sort(), grid.slice().sort());

  // Translations: 6 languages × 12 distinct English questions, cached; prompts carry the suffix.
  const cache = JSON.parse(readFileSync(join(out, 'translations.json'), 'utf8')) as Record<string, Record<string, string>>;
  assert.deepEqual(Object.keys(cache).sort(), ['Arabic', 'Chinese', 'German', 'Greek', 'Hindi', 'Korean']);
  for (const lang of Object.keys(cache)) assert.equal(Object.keys(cache[lang]).length, 12, lang);
  const german = lines(join(out, 'data', 'llava_bench_in_the_wild_hard_German', 'samples.jsonl'));
  // The hard half, in the index list's order, translated, with the paper's suffix.
  assert.deepEqual(german.map((s) => s.id), ['1', '5', '3']);
  assert.deepEqual(german.map((s) => s.question), [1, 5, 3].map((q) => `GERMAN: Question ${q} (wild): what is shown? Please answer in English.`));
  assert.deepEqual(lines(join(out, 'data', 'llava_bench_in_the_wild_easy_English', 'samples.jsonl')).map((s) => s.id), ['4', '0', '2']);
  assert.equal(lines(join(out, 'data', 'llava_bench_in_the_wild_normal_Korean', 'samples.jsonl')).length, 6);

  // Answer files are in data set order (LLaVA's scripts pair lines).
  assert.deepEqual(lines(join(out, 'responses', 'llava_bench_in_the_wild_easy_Hindi.jsonl')).map((a) => a.question_id), [4, 0, 2]);
  assert.deepEqual(lines(join(out, 'responses', 'llava_bench_coco_Arabic.jsonl')).map((a) => a.question_id), [0, 1, 2, 3, 4, 5]);

  // The judge ran LLaVA's protocol with the given rules: COCO rule keys for COCO sets, llava_bench_ ones for in-the-wild.
  const judged = server.requests.filter((q) => q.body.model === 'judge-test');
  // 7 × (6 COCO + 6 in-the-wild) distinct requests: easy and hard repeat normal's, served by the response cache.
  assert.equal(judged.length, 7 * (6 + 6));
  for (const q of judged) {
    assert.equal((q.body.messages[0] as { content: string }).content, SYSTEM);
    assert.equal(q.body.temperature, 0.2);
    assert.equal(q.body.max_tokens, 1024);
    const user = userText(q.body);
    const coco = user.includes('(coco)');
    assert.match(user, coco ? /\n\n\[System\]\nCOCO (conv|detail|complex) rule\.\n\n$/ : /\n\n\[System\]\nWILD (conv|detail|complex) rule\.\n\n$/);
  }
  const reviews = lines(join(out, 'reviews', 'llava_bench_coco_Greek.jsonl'));
  assert.deepEqual(reviews.map((x) => x.question_id), [0, 1, 2, 3, 4, 5]);
  assert.ok(reviews.every((x) => typeof x.protocol === 'string' && (x.protocol as string).startsWith('llava-rules@')));
});

test('run reads the authors\' parquet export (one split per scenario, mapped by name) instead of generating; the in-the-wild halves by embedding distance', async () => {
  const dir = tempDir();
  const hf = join(dir, 'hf', 'data');
  mkdirSync(hf, { recursive: true });
  for (const [k, split] of ['llava_bench_coco', 'llava_bench_coco_sr_4', 'llava_bench_coco_frost_1'].entries()) {
    const rows = await Promise.all([0, 1, 2, 3].map(async (i) => ({ bytes: await jpeg(8, 8, 10 * k + i), path: `${i}.jpg`, question: `${split} question ${i}?`, ref: `Reference ${i}.` })));
    await writeHfParquet(join(hf, `${split}-00000-of-00001.parquet`), rows);
  }
  await writeLlavaSet(join(dir, 'wild'), false, 6, ' (wild)');
  const base = {
    name: 'parquet study', out: 'out',
    model: { name: 'llava-test', base_url: server.url },
    encoders: { kind: 'builtin' }, estimator: { train: { epochs: 2, batch_size: 4 } },
    analysis: { bootstrap: 0, permutations: 0 }, report: { html: false },
  };
  const cfg = join(dir, 'run.yaml');
  writeFileSync(cfg, stringify({
    ...base,
    data: {
      parquet: 'hf', id_name: 'llava_bench_coco', scenarios: { names: ['llava_bench_coco_sr_4', 'llava_bench_coco_frost_1'] },
      ood: { llava_bench_in_the_wild_normal: 'wild' },
    },
  }));
  const r = await runCliAsync(['run', cfg], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  const out = join(dir, 'out');
  assert.deepEqual(readdirSync(join(out, 'data')), [], 'nothing generated');
  for (const split of ['llava_bench_coco', 'llava_bench_coco_sr_4', 'llava_bench_coco_frost_1']) {
    assert.deepEqual(lines(join(out, 'responses', `${split}.jsonl`)).map((a) => a.prompt), [0, 1, 2, 3].map((i) => `${split} question ${i}?`));
  }

  // Easy/hard by the cosine distance of x = (z_v + z_t)/2 to the ID set (built-in encoders).
  const cfg2 = join(dir, 'run2.yaml');
  writeFileSync(cfg2, stringify({
    ...base, out: 'out2',
    data: {
      id: { parquet: 'hf', split: 'llava_bench_coco' }, scenarios: { names: ['llava_bench_in_the_wild_easy', 'llava_bench_in_the_wild_hard'] },
      wild: 'wild', wild_split: { distance: 'centroid' },
    },
  }));
  const r2 = await runCliAsync(['run', cfg2], { timeoutMs: 300_000 });
  assert.equal(r2.code, 0, r2.stderr);
  const easy = lines(join(dir, 'out2', 'data', 'llava_bench_in_the_wild_easy', 'samples.jsonl')).map((s) => s.id as string);
  const hard = lines(join(dir, 'out2', 'data', 'llava_bench_in_the_wild_hard', 'samples.jsonl')).map((s) => s.id as string);
  assert.equal(easy.length, 3);
  assert.deepEqual([...easy, ...hard].sort(), ['0', '1', '2', '3', '4', '5']);
  const manifest = JSON.parse(readFileSync(join(dir, 'out2', 'data', 'llava_bench_in_the_wild_easy', 'manifest.json'), 'utf8')) as { source: { split_rule: { method: string; reference: string } } };
  assert.match(manifest.source.split_rule.method, /cosine distance/);
  assert.equal(manifest.source.split_rule.reference, 'centroid');
});

test('run with the paper settings but nothing pulled stops before any work, saying what to pull (exit 2)', async () => {
  const dir = tempDir();
  await writeLlavaSet(join(dir, 'data', 'llava-bench-coco'), true, 3);
  const cfg = join(dir, 'paper-synthetic.yaml');
  writeFileSync(cfg, readFileSync(fileURLToPath(new URL('../../examples/paper-synthetic.yaml', import.meta.url)), 'utf8'));
  const before = server.requests.length;
  const r = await runCliAsync(['run', cfg], { env: { MLLMSHIFT_CACHE_DIR: join(dir, 'empty-cache'), OPENAI_API_KEY: 'sk-test' } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /models pull --only llava-rules/);
  assert.equal(server.requests.length, before);
  assert.ok(!existsSync(join(dir, 'runs', 'paper-synthetic-llava-v1.5-13b')), 'nothing written');
});
