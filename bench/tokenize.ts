/**
 * XLM-R tokenisation throughput, run by hand: `npx tsx bench/tokenize.ts [--reps 3]`.
 *
 * Ours (SentencePiece-exact, src/encode/xlmr-tokenizer.ts) against transformers.js's
 * XLMRobertaTokenizer (what E5 used before), on the test's SentencePiece model
 * (test/fixtures/spm/tokenizer-replace.json, 6,000 pieces, nmt_nfkc charsmap) and on the
 * authors' 8,474 distinct prompts and answers when the official folder has them (test/helpers/official.ts) (else generated
 * answers). Also counts the texts on which the two disagree.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { xlmrTokenizerFromJson } from '../src/encode/xlmr-tokenizer.js';
import { officialPath } from '../test/helpers/official.js';

const args = process.argv.slice(2);
const REPS = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 3;
const FIXTURE = new URL('../test/fixtures/spm/tokenizer-replace.json', import.meta.url).pathname;
const OFFICIAL = officialPath('responses');

function corpus(): { name: string; texts: string[] } {
  if (existsSync(OFFICIAL)) {
    const texts = new Set<string>();
    for (const f of readdirSync(OFFICIAL).filter((n) => n.endsWith('.jsonl'))) {
      for (const line of readFileSync(join(OFFICIAL, f), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const r = JSON.parse(line) as Record<string, unknown>;
        for (const k of ['prompt', 'text']) if (typeof r[k] === 'string') texts.add(r[k] as string);
      }
    }
    return { name: 'official prompts + answers', texts: [...texts] };
  }
  const words = 'the a man woman dog cat sits on in near table street car red blue image shows two people holding umbrella while walking'.split(' ');
  let s = 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const texts = Array.from({ length: 2000 }, () => Array.from({ length: 150 }, () => words[Math.floor(next() * words.length)]).join(' ') + '.');
  return { name: 'generated 150-word answers', texts };
}

function time(fn: () => void): number {
  fn();
  const t: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

const json = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
const { name, texts } = corpus();
const chars = texts.reduce((a, t) => a + t.length, 0);

const t0 = performance.now();
const ours = xlmrTokenizerFromJson(json, FIXTURE);
const oursLoad = performance.now() - t0;
const { XLMRobertaTokenizer } = await import('@huggingface/transformers');
const t1 = performance.now();
const theirs = new XLMRobertaTokenizer(json, {});
const theirsLoad = performance.now() - t1;

let tokens = 0;
const oursMs = time(() => {
  tokens = 0;
  for (const t of texts) tokens += ours.encodeContent(t).length + 2;
});
const theirsMs = time(() => {
  for (const t of texts) theirs.encode(t);
});
let differ = 0;
for (const t of texts) if ([ours.bosId, ...ours.encodeContent(t), ours.eosId].join(',') !== theirs.encode(t).join(',')) differ++;

const rows = [
  ['SentencePiece-exact (ours)', oursLoad, oursMs],
  ['transformers.js XLMRobertaTokenizer (before)', theirsLoad, theirsMs],
] as const;
process.stdout.write(`load average ${loadavg().map((v) => v.toFixed(1)).join(' ')} on ${cpus().length} cores; ${texts.length} texts (${name}), ${(chars / 1e6).toFixed(2)} M chars, ${(tokens / 1e6).toFixed(2)} M tokens; median of ${REPS}\n`);
process.stdout.write('| tokenizer | load ms | texts/s | M chars/s | M tokens/s |\n|---|---|---|---|---|\n');
for (const [label, load, ms] of rows) {
  process.stdout.write(`| ${label} | ${load.toFixed(0)} | ${((1000 * texts.length) / ms).toFixed(0)} | ${(chars / ms / 1000).toFixed(2)} | ${(tokens / ms / 1000).toFixed(2)} |\n`);
}
process.stdout.write(`texts where the two give different ids: ${differ} of ${texts.length}\n`);
