/**
 * LLaVA's judge protocol, replayed independently. The expected requests are rebuilt here the way
 * LLaVA's `eval_gpt_review_bench.py` (in-the-wild) and `eval_gpt_review_visual.py` (COCO) build
 * them, reading the raw question / answer / context lines in file order and pairing them line
 * by line:
 *   content = '[Context]\n' + ctx + '\n\n[Question]\n' + q.text + '\n\n[' + role + ' 1]\n' + a1.text
 *           + '\n\n[End of ' + role + ' 1]\n\n[' + role + ' 2]\n' + a2.text + '\n\n[End of ' + role
 *           + ' 2]\n\n[System]\n' + prompt + '\n\n'
 * with ctx = '\n'.join(caption) (in-the-wild; rule key 'llava_bench_' + category) or
 * '\n'.join(captions) + '\n\n' + '\n'.join(f'{category}: {bbox}') (COCO; rule key = category;
 * bbox printed as a Python list of floats), and the body
 *   {model, messages: [{role: system, content: SYSTEM}, {role: user, content}], temperature: 0.2, max_tokens: 1024}.
 * The rule file and the system line are made up here in LLaVA's format (LLaVA's own text is
 * never part of the repository).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatClient } from '../../src/llm/client.js';
import { judgeAnswers, type ReviewRecord } from '../../src/llm/judge.js';
import {
  PROJECT_PROTOCOL, llavaParseScore, llavaProtocol, protocolMessages, pythonFloat, readLlavaRules, readProtocolFile,
} from '../../src/llm/judge-protocol.js';
import { inferLayout, pyFloat } from '../../src/data/llava-bench.js';
import { loadDataset } from '../../src/data/load.js';
import { readAnswerFile, type ResponseRecord } from '../../src/data/responses.js';
import { readReviewFile, summarizeReviews } from '../../src/llm/summary.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { runCliAsync } from '../helpers/cli.js';
import { startFakeServer, type Reply, type SeenRequest } from './fake-server.js';
import { writeLlavaSet } from './helpers.js';

const SYSTEM = 'You are a test reviewer who checks answers — carefully.';
const RULES = {
  coding: { role: 'Assistant', prompt: 'Coding rule (unused).' },
  default: { role: 'Assistant', prompt: 'Default rule (unused by the scripts).' },
  conv: { role: 'Assistant', prompt: 'COCO conversation rule: output two scores on the first line.' },
  detail: { role: 'Reviewer', prompt: 'COCO detail rule with "quotes" and {braces}.' },
  complex: { role: 'Assistant', prompt: 'COCO reasoning rule.\nSecond line.' },
  llava_bench_conv: { role: 'Assistant', prompt: 'Wild conversation rule.' },
  llava_bench_detail: { role: 'Assistant', prompt: 'Wild detail rule — ünïcode.' },
  llava_bench_complex: { role: 'Assistant', prompt: 'Wild reasoning rule {context}.' },
};

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

/** The bodies LLaVA's script sends, rebuilt from the raw files (see the module comment). */
function llavaBodies(dir: string, coco: boolean, answersPath: string, judgeModel: string): string[] {
  const qs = lines(join(dir, coco ? 'qa90_questions.jsonl' : 'questions.jsonl'));
  const a1 = lines(join(dir, coco ? 'qa90_gpt4_answer.jsonl' : 'answers_gpt4.jsonl'));
  const a2 = lines(answersPath);
  const ctx = new Map(lines(join(dir, coco ? 'caps_boxes_coco2014_val_80.jsonl' : 'context.jsonl')).map((c) => [c.image as string, c]));
  // Python's str() of the bbox lists written above, by hand.
  const pyBoxes: Record<string, string> = { cup: '[0.37, 0.584, 0.5, 1.0]', 'dining table': '[0.0, 1e-05, 0.125, 0.3333]' };
  return qs.map((q, i) => {
    const inst = ctx.get(q.image as string)!;
    let ctxStr: string;
    if (coco) {
      const cap = (inst.captions as string[]).join('\n');
      const box = (inst.instances as { category: string }[]).map((b) => `${b.category}: ${pyBoxes[b.category]}`).join('\n');
      ctxStr = `${cap}\n\n${box}`;
    } else ctxStr = inst.caption as string;
    const rule = RULES[(coco ? q.category : `llava_bench_${q.category}`) as keyof typeof RULES];
    const role = rule.role;
    const content = `[Context]\n${ctxStr}\n\n`
      + `[Question]\n${q.text}\n\n`
      + `[${role} 1]\n${a1[i].text}\n\n[End of ${role} 1]\n\n`
      + `[${role} 2]\n${a2[i].text}\n\n[End of ${role} 2]\n\n`
      + `[System]\n${rule.prompt}\n\n`;
    return JSON.stringify({ model: judgeModel, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content }], temperature: 0.2, max_tokens: 1024 });
  });
}

const replies: Reply[] = [];
const server = await startFakeServer((req: SeenRequest): Reply => replies.shift() ?? { kind: 'text', text: `${(req.n % 3) + 7} 6\nExplanation.` });
after(() => server.close());

for (const coco of [false, true]) {
  test(`LLaVA protocol, ${coco ? 'COCO' : 'in-the-wild'} layout: every judge request is byte-identical to LLaVA's`, async () => {
    const dir = tempDir();
    const { answers } = await writeLlavaSet(dir, coco, 7);
    const rulesPath = join(dir, 'rule.json');
    writeFileSync(rulesPath, JSON.stringify(RULES, null, 4));
    const samples = await loadDataset(dir);
    assert.equal(inferLayout(samples), coco ? 'coco' : 'in-the-wild');
    const protocol = llavaProtocol(readLlavaRules(rulesPath), SYSTEM);
    const first = server.requests.length;
    const out = join(dir, 'reviews.jsonl');
    const answerMap = new Map<string, ResponseRecord>(readAnswerFile(answers).map((r) => [r.questionId, r]));
    const s = await judgeAnswers({
      samples, answers: answerMap, client: new ChatClient({ baseURL: server.url, concurrency: 3 }), judgeModel: 'gpt-4-0314', outPath: out, protocol,
    });
    assert.deepEqual([s.written, s.unparsable, s.parseRetries], [7, 0, 0]);
    const sent = server.requests.slice(first).map((r) => r.raw).sort();
    assert.deepEqual(sent, llavaBodies(dir, coco, answers, 'gpt-4-0314').sort());
    const reviews = lines(out) as unknown as ReviewRecord[];
    assert.ok(reviews.every((r) => r.protocol === protocol.name && /^llava-rules@[0-9a-f]{8}$/.test(r.protocol)));
  });
}

test('LLaVA protocol: a reply parse_score cannot read is written as [-1, -1], asked once, counted and reported', async () => {
  const dir = tempDir();
  const { answers } = await writeLlavaSet(dir, false, 3);
  writeFileSync(join(dir, 'rule.json'), JSON.stringify(RULES));
  const samples = await loadDataset(dir);
  const protocol = llavaProtocol(readLlavaRules(join(dir, 'rule.json')), SYSTEM, 'llava-bench');
  const answerMap = new Map<string, ResponseRecord>(readAnswerFile(answers).map((r) => [r.questionId, r]));
  const first = server.requests.length;
  replies.push({ kind: 'text', text: '8, 7\nDouble space after the comma: LLaVA fails it.' }, { kind: 'text', text: '9 3' }, { kind: 'text', text: '9 3' });
  const out = join(dir, 'reviews.jsonl');
  const s = await judgeAnswers({ samples, answers: answerMap, client: new ChatClient({ baseURL: server.url, concurrency: 1 }), judgeModel: 'j', outPath: out, protocol });
  assert.equal(server.requests.length - first, 3, 'LLaVA asks once per item');
  assert.deepEqual([s.written, s.unparsable], [3, 1]);
  const byId = new Map((lines(out) as unknown as ReviewRecord[]).map((r) => [String(r.question_id), r]));
  assert.deepEqual(byId.get('0')!.tuple, [-1, -1]);
  assert.match(byId.get('0')!.error!, /did not start with two scores \(protocol "llava-bench", llava parser/);
  assert.deepEqual(byId.get('1')!.tuple, [9, 3]);
  const file = readReviewFile(out);
  assert.deepEqual(file.protocols, ['llava-bench']);
  const all = summarizeReviews(file.reviews, { resamples: 0 }).categories.find((c) => c.category === 'all')!;
  assert.deepEqual([all.n, all.failed], [2, 1]);
  // Resuming with another protocol is refused.
  await assert.rejects(
    judgeAnswers({ samples, answers: answerMap, client: new ChatClient({ baseURL: server.url }), judgeModel: 'j', outPath: out }),
    (e: unknown) => e instanceof InputError && /made with judge protocol "llava-bench", not "mllmshift"/.test(e.message),
  );
});

test('llavaParseScore is LLaVA\'s parse_score: first line, commas → spaces, exactly two single-space fields, Python float()', () => {
  const cases: [string, [number, number]][] = [
    ['8 7\nbecause', [8, 7]],
    ['8,7', [8, 7]],
    ['8, 7', [-1, -1]], // "8  7" splits into three fields
    ['8.5 6', [8.5, 6]],
    [' 8 7', [-1, -1]],
    ['8 7\r\nx', [8, 7]], // float(" 7\r") strips the \r
    ['\n8 7', [-1, -1]], // the first line is empty
    ['1_0 2e0', [10, 2]],
    ['+9 .5', [9, 0.5]],
    ['-1 -1', [-1, -1]],
    ['eight 7', [-1, -1]],
    ['8/10 7/10', [-1, -1]],
    ['8 7 6', [-1, -1]],
    ['', [-1, -1]],
  ];
  for (const [reply, want] of cases) assert.deepEqual(llavaParseScore(reply), want, JSON.stringify(reply));
  assert.equal(pythonFloat('inf'), Infinity);
  assert.ok(Number.isNaN(pythonFloat('NaN')!));
  for (const bad of ['1__0', '_1', '1_', '0x10', '', '.', 'e5', '1e']) assert.equal(pythonFloat(bad), undefined, bad);
});

test('pyFloat prints floats as Python\'s repr (values checked by hand against CPython)', () => {
  const cases: [number, string][] = [
    [0.37, '0.37'], [1, '1.0'], [0, '0.0'], [1e-5, '1e-05'], [0.0001, '0.0001'], [1e16, '1e+16'], [123, '123.0'],
    [1234567890123456, '1234567890123456.0'], [-2.5, '-2.5'], [0.1 + 0.2, '0.30000000000000004'], [1.5e-7, '1.5e-07'], [2.5e20, '2.5e+20'],
  ];
  for (const [x, want] of cases) assert.equal(pyFloat(x), want, String(x));
});

test('the project protocol is the default and is named; protocol files and LLaVA rule files are validated', () => {
  assert.equal(PROJECT_PROTOCOL.name, 'mllmshift');
  const dir = tempDir();
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ llava_bench_conv: { role: 'Assistant' } }));
  assert.throws(() => readLlavaRules(bad), (e: unknown) => e instanceof InputError && /"llava_bench_conv" must be \{"role": string, "prompt": string\}/.test(e.message));
  const file = join(dir, 'proto.json');
  writeFileSync(file, JSON.stringify({ name: 'my-bench', system: 'S', rules: { x_conv: { role: 'Judge', prompt: 'P' } }, rule_key: { coco: 'x_{category}', in_the_wild: 'x_{category}' }, max_tokens: 64 }));
  const p = readProtocolFile(file);
  assert.deepEqual([p.name, p.maxTokens, p.temperature, p.scoreParser], ['my-bench', 64, 0.2, 'llava']);
  const [sys, user] = protocolMessages(p, { question: 'Q', context: 'C', category: 'conv', answer1: 'A', answer2: 'B' }, 'coco');
  assert.equal(sys.content, 'S');
  assert.equal(user.content, '[Context]\nC\n\n[Question]\nQ\n\n[Judge 1]\nA\n\n[End of Judge 1]\n\n[Judge 2]\nB\n\n[End of Judge 2]\n\n[System]\nP\n\n');
  assert.throws(() => protocolMessages(p, { question: 'Q', context: 'C', category: 'detail', answer1: 'A', answer2: 'B' }, 'coco'), /no rule "x_detail"/);
  assert.throws(() => protocolMessages(p, { question: 'Q', category: 'conv', answer1: 'A', answer2: 'B' }, 'coco'), /needs the image context/);
  writeFileSync(file, JSON.stringify({ name: 'n', system: 'S', rules: { a: { role: 'r', prompt: 'p' } }, max_tokens: 0 }));
  assert.throws(() => readProtocolFile(file), /field "max_tokens" must be a positive integer/);
});

test('CLI: judge --rules FILE --system-prompt TEXT, and --protocol llava-bench from the models cache, send LLaVA\'s requests', async () => {
  const dir = tempDir();
  const { answers } = await writeLlavaSet(dir, false, 4);
  const rulesPath = join(dir, 'rule.json');
  writeFileSync(rulesPath, JSON.stringify(RULES));
  const expected = llavaBodies(dir, false, answers, 'gpt-4-0314').sort();
  const common = ['judge', '--dataset', dir, '--answers', answers, '--judge-model', 'gpt-4-0314', '--base-url', server.url, '--json'];
  let first = server.requests.length;
  const r = await runCliAsync([...common, '--out', join(dir, 'a.jsonl'), '--rules', rulesPath, '--system-prompt', SYSTEM]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(server.requests.slice(first).map((q) => q.raw).sort(), expected);
  assert.match((JSON.parse(r.stdout) as { protocol: string }).protocol, /^llava-rules@/);

  // The pulled artefacts' places in the models cache, filled by hand with test-made files.
  const cache = join(dir, 'cache');
  const root = join(cache, 'models', 'haotian-liu', 'LLaVA', 'llava', 'eval');
  mkdirSync(join(root, 'table'), { recursive: true });
  writeFileSync(join(root, 'table', 'rule.json'), JSON.stringify(RULES));
  writeFileSync(join(root, 'eval_gpt_review_bench.py'), `messages=[{\n    'role': 'system',\n    'content': '${SYSTEM}'\n}, {`);
  first = server.requests.length;
  const p = await runCliAsync([...common, '--out', join(dir, 'b.jsonl'), '--protocol', 'llava-bench'], { env: { MLLMSHIFT_CACHE_DIR: cache } });
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(server.requests.slice(first).map((q) => q.raw).sort(), expected);
  assert.equal((JSON.parse(p.stdout) as { protocol: string }).protocol, 'llava-bench');
  const s = await runCliAsync(['judge', 'summarize', join(dir, 'b.jsonl'), '--resamples', '0']);
  assert.match(s.stdout, /^judge protocol: llava-bench$/m);

  const missing = await runCliAsync([...common, '--out', join(dir, 'c.jsonl'), '--protocol', 'llava-bench'], { env: { MLLMSHIFT_CACHE_DIR: join(dir, 'empty') } });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /models pull --only llava-rules/);
  const noSystem = await runCliAsync([...common, '--out', join(dir, 'd.jsonl'), '--rules', rulesPath]);
  assert.equal(noSystem.code, 2);
  assert.match(noSystem.stderr, /--rules needs --system-prompt/);
});
