/**
 * The XLM-R tokenizer against SentencePiece itself. References: test/fixtures/spm/, written by
 * test/fixtures-gen/gen_spm.py with the SentencePiece library (a unigram model trained there
 * with XLM-R's settings, its ids + the fairseq offset, as the slow XLMRobertaTokenizer gives
 * them). Every id must match exactly: no tolerance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DoubleArray } from '../../src/encode/darts.js';
import { SpmNormalizer } from '../../src/encode/spm-normalizer.js';
import { UnigramModel } from '../../src/encode/spm-unigram.js';
import { xlmrTokenizerFromJson, type XlmrTokenizer } from '../../src/encode/xlmr-tokenizer.js';
import { InputError } from '../../src/errors.js';
import { needsOfficial, officialPath } from '../helpers/official.js';

const FIXTURES = new URL('../fixtures/spm/', import.meta.url).pathname;
const OFFICIAL = officialPath('responses');
const LAYOUTS = ['whitespace-split', 'replace'] as const;

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
const tokenizerJson = (layout: string) => readJson(join(FIXTURES, `tokenizer-${layout}.json`));
const load = (layout: string): XlmrTokenizer => xlmrTokenizerFromJson(tokenizerJson(layout), `tokenizer-${layout}.json`);
const wrapped = (tok: XlmrTokenizer, text: string) => [tok.bosId, ...tok.encodeContent(text), tok.eosId];
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const sha16 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 16);

interface Case {
  readonly text: string;
  readonly ids: number[];
}
const expected = readJson(join(FIXTURES, 'expected.json')) as { sentencepiece: string; cases: Case[] };

for (const layout of LAYOUTS) {
  test(`${layout} layout: ids equal SentencePiece's on all ${expected.cases.length} texts (scripts, whitespace, NBSP, literal <s>, #fff;, Unicode ≥ 12, compositions, long answers)`, () => {
    const tok = load(layout);
    const bad: string[] = [];
    for (const c of expected.cases) {
      const ours = wrapped(tok, c.text);
      if (ours.join(',') !== c.ids.join(',')) bad.push(`text ${JSON.stringify(c.text)}\n  ours     ${JSON.stringify(ours)}\n  expected ${JSON.stringify(c.ids)}`);
    }
    assert.equal(bad.length, 0, `${bad.length} of ${expected.cases.length} texts differ from SentencePiece ${expected.sentencepiece}:\n${bad.slice(0, 10).join('\n')}`);
  });
}

test('the official prompts and answers: ids equal SentencePiece\'s (digests per text)', needsOfficial('responses'), () => {
  const table = (readJson(join(FIXTURES, 'official-ids.json')) as { ids: Record<string, string> }).ids;
  const texts = new Set<string>();
  for (const f of readdirSync(OFFICIAL).filter((n) => n.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(OFFICIAL, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as Record<string, unknown>;
      for (const k of ['prompt', 'text']) if (typeof r[k] === 'string') texts.add(r[k] as string);
    }
  }
  assert.equal(texts.size, Object.keys(table).length, 'distinct texts in the responses vs official-ids.json (regenerate with gen_spm.py)');
  // One layout here (the layouts differ only in how add_dummy_prefix is spelled; both are checked on the corpus above).
  {
    const layout = 'replace';
    const tok = load(layout);
    const bad: string[] = [];
    for (const s of texts) {
      const ours = wrapped(tok, s);
      const digest = `${ours.length}:${sha16(ours.join(','))}`;
      const want = table[sha16(s)];
      if (digest !== want) bad.push(`text ${JSON.stringify(s.slice(0, 200))}\n  ours     ${digest} ${JSON.stringify(ours.slice(0, 40))}…\n  expected ${want}`);
    }
    assert.equal(bad.length, 0, `${layout}: ${bad.length} of ${texts.size} official texts differ:\n${bad.slice(0, 5).join('\n')}`);
  }
});

test('darts-clone double array: hand-built trie {"a" → 5}', () => {
  // Root offset 256: child for byte c at 0 ^ 256 ^ c. Node 353 ('a' = 97): label 97, has a
  // leaf (bit 8), offset 1 → the leaf at 352 holds value 5 with bit 31 set.
  const units = new Uint32Array(512);
  units[0] = 256 << 10;
  units[353] = (1 << 10) | (1 << 8) | 97;
  units[352] = (0x80000000 | 5) >>> 0;
  const da = new DoubleArray(units);
  assert.deepEqual(da.longestPrefix(utf8('ab'), 0, 2), { length: 1, value: 5 });
  assert.deepEqual(da.longestPrefix(utf8('ba'), 0, 2), { length: 0, value: 0 });
  assert.deepEqual(da.longestPrefix(utf8('ba'), 1, 2), { length: 1, value: 5 });
  assert.throws(() => DoubleArray.fromBytes(new Uint8Array(6), 0, 6), RangeError);
});

test('normaliser whitespace rules (identity rules): trim, collapse, dummy prefix, ▁ escape', () => {
  const n = new SpmNormalizer(undefined);
  assert.equal(text(n.normalize(utf8('  hello   world  '))), '▁hello▁world');
  assert.equal(text(n.normalize(utf8('   '))), '');
  assert.equal(text(n.normalize(utf8('a\tb'))), '▁a\tb', 'without rules only ASCII space is whitespace');
  assert.equal(text(new SpmNormalizer(undefined, { addDummyPrefix: false, removeExtraWhitespaces: true, escapeWhitespaces: true }).normalize(utf8(' a  b '))), 'a▁b');
  assert.equal(text(new SpmNormalizer(undefined, { addDummyPrefix: true, removeExtraWhitespaces: false, escapeWhitespaces: false }).normalize(utf8(' a  b '))), '  a  b ');
  // A malformed byte becomes U+FFFD, one byte consumed.
  assert.equal(text(n.normalize(Uint8Array.of(0x61, 0xff, 0x62))), '▁a\ufffdb');
});

test('normaliser with the nmt_nfkc charsmap: full-width, NBSP, tabs and newlines, ligatures', () => {
  const model = tokenizerJson('whitespace-split').normalizer as { precompiled_charsmap: string };
  const n = new SpmNormalizer(new Uint8Array(Buffer.from(model.precompiled_charsmap, 'base64')));
  assert.equal(text(n.normalize(utf8('ＡＢＣ'))), '▁ABC');
  assert.equal(text(n.normalize(utf8('\u00a0a\u00a0\u00a0b\t\nc;\n'))), '▁a▁b▁c;');
  assert.equal(text(n.normalize(utf8('ﬁne'))), '▁fine');
});

test('normaliser on every code point of planes 0–3 and U+E0000..U+E0FFF: "a" + c + "b" normalised as SentencePiece does (sha256 per block of 4096)', () => {
  const ref = readJson(join(FIXTURES, 'normalizer-digests.json')) as { block: number; context: [string, string]; digests: Record<string, string> };
  const model = tokenizerJson('replace').normalizer as { normalizers: { precompiled_charsmap: string }[] };
  const n = new SpmNormalizer(new Uint8Array(Buffer.from(model.normalizers[0].precompiled_charsmap, 'base64')));
  const [pre, post] = ref.context;
  const bad: string[] = [];
  for (const [hex, want] of Object.entries(ref.digests)) {
    const start = parseInt(hex, 16);
    const lines: string[] = [];
    for (let cp = start; cp < start + ref.block; cp++) if (cp < 0xd800 || cp >= 0xe000) lines.push(text(n.normalize(utf8(pre + String.fromCodePoint(cp) + post))));
    const got = createHash('sha256').update(lines.join('\n'), 'utf8').digest('hex').slice(0, 16);
    if (got !== want) bad.push(`U+${hex.toUpperCase()}..U+${(start + ref.block - 1).toString(16).toUpperCase()}`);
  }
  assert.equal(bad.length, 0, `blocks whose normalisation differs from SentencePiece's: ${bad.join(', ')}`);
});

test('Viterbi: ties keep the first candidate; float rounding as SentencePiece (double candidate, float best)', () => {
  const piece = (s: string, id: number, score: number) => ({ bytes: utf8(s), id, score });
  // Exact tie f+ff = ff+f = f+f+f = −3: at each end the first candidate (leftmost start) stays.
  const tie = new UnigramModel([piece('f', 10, -1), piece('ff', 11, -2)], 3);
  const out: number[] = [];
  tie.encode(utf8('fff'), out);
  assert.deepEqual(out, [10, 11]);
  // "ab": first candidate ab = −2^24 is stored; then a + b = −16777215 − 0.5 = −16777215.5 in
  // double beats it (SentencePiece: [a, b]). In float the sum rounds (tie to even) to −2^24 and
  // would not beat it ([ab]).
  const f32 = new UnigramModel([piece('a', 20, -16777215), piece('b', 21, -0.5), piece('ab', 22, -16777216)], 3);
  const o2: number[] = [];
  f32.encode(utf8('ab'), o2);
  assert.deepEqual(o2, [20, 21]);
  // "xff": x = −2^24, then f: −2^24 − 1 is stored as float −2^24 (tie to even). At the end, the
  // first candidate x + ff = −16777217.5 is stored as −16777218; then (stored −2^24) + f =
  // −16777217 beats it: [x, f, f]. Keeping the running score in double instead would give
  // −16777218 < −16777217.5, i.e. [x, ff].
  const f64 = new UnigramModel([piece('x', 30, -16777216), piece('f', 31, -1), piece('ff', 32, -1.5)], 3);
  const o3: number[] = [];
  f64.encode(utf8('xff'), o3);
  assert.deepEqual(o3, [30, 31, 31]);
});

test('Viterbi: unknown characters get min score − 10, consecutive ones merge into one <unk>', () => {
  const piece = (s: string, id: number, score: number) => ({ bytes: utf8(s), id, score });
  const m = new UnigramModel([piece('a', 10, -1), piece('b', 11, -2), piece('ab', 12, -2.5)], 3);
  assert.equal(m.unkScore, -12.5);
  const run = (s: string) => {
    const o: number[] = [];
    m.encode(utf8(s), o);
    return o;
  };
  assert.deepEqual(run('a€€b'), [10, 3, 11], 'two unknown characters, one <unk>');
  assert.deepEqual(run('€a€'), [3, 10, 3]);
  assert.deepEqual(run('ab'), [12], 'ab = −2.5 beats a + b = −3');
});

test('literal special tokens are split out as the slow tokenizer does (<mask> strips whitespace on its left)', () => {
  const tok = load('replace');
  const mask = tok.encodeContent('<mask>')[0];
  const plain = tok.encodeContent('a b');
  assert.deepEqual(tok.encodeContent('a <s> b'), [plain[0], 0, ...tok.encodeContent(' b')]);
  assert.deepEqual(tok.encodeContent('a \u00a0 <mask>'), [...tok.encodeContent('a'), mask]);
  assert.deepEqual(tok.encodeContent('<unk></s>'), [3, 2]);
});

test('unsupported tokenizer.json layouts are InputErrors naming the file and the field', () => {
  const base = tokenizerJson('replace');
  const bad = (patch: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => xlmrTokenizerFromJson({ ...base, ...patch }, '/m/tokenizer.json'), (e: unknown) => e instanceof InputError && e.message.startsWith('/m/tokenizer.json: ') && re.test(e.message));
  bad({ normalizer: { type: 'NFKC' } }, /unsupported normalizer/);
  bad({ pre_tokenizer: { type: 'BertPreTokenizer' } }, /unsupported pre_tokenizer/);
  bad({ pre_tokenizer: { type: 'Metaspace', replacement: '_' } }, /unsupported pre_tokenizer/);
  bad({ model: { ...(base.model as object), byte_fallback: true } }, /byte_fallback/);
  bad({ model: { type: 'BPE', vocab: {} } }, /Unigram/);
  bad({ model: { type: 'Unigram', unk_id: 0, vocab: [['a', 'x']] } }, /model\.vocab\[0\]/);
  bad({ post_processor: null }, /post_processor/);
  bad({ added_tokens: [{ id: 0, content: '<s>', single_word: true }] }, /added_tokens\[0\].*single_word/);
  bad({ normalizer: { type: 'Precompiled', precompiled_charsmap: Buffer.from([9, 0, 0, 0, 1]).toString('base64') } }, /exceeds/);
});
