/**
 * Text perturbations of the synthetic grid (DESIGN.md §3), level r ↦ rate 0.05·r:
 *
 * - `sr_r` — EDA synonym replacement (Wei & Zou 2019) exactly as `eda.py` does it: the question
 *   is normalised by EDA's `get_only_chars` (lower-case, letters and spaces only — which is why
 *   the authors' `sr_*` prompts have no punctuation), n = max(1, ⌊0.05·r·#words⌋) distinct
 *   non-stop-words, in random order, are replaced (every occurrence) by a random WordNet synonym
 *   (lemma names lower-cased, `_`/`-` → space, non-letters dropped — a synonym such as "2" becomes
 *   empty and the word disappears, as in the authors' data), skipping words without synonyms.
 * - `KeyboardAug_r` — nlpaug's KeyboardAug with its defaults except the word rate:
 *   ⌈0.05·r·#tokens⌉ words (at least 1, at most 10) among those of ≥ 4 characters, and in each
 *   ⌈0.3·length⌉ characters (1…10) replaced by a random QWERTY neighbour (neighbour keys, their
 *   upper case, and the shifted symbols of neighbouring digits). Tokens are words and single
 *   punctuation marks, as nlpaug's tokenizer splits them; spacing and punctuation are kept.
 * - `CharInsert_r`, `CharDelete_r`, `CharSwap_r` — nlpaug's RandomCharAug (insert / delete /
 *   swap with the adjacent character) with the same word and character selection; inserted
 *   characters are letters of either case or digits.
 */
import type { TextPerturbation } from '../data/scenarios.js';
import type { Rng } from '../core/random.js';
import { loadWordNet, type WordNet } from './wordnet.js';

export interface TextPerturbationResult {
  readonly text: string;
  /** Words of the input that were changed (sr: positions replaced; otherwise words edited). */
  readonly changedWords: number;
  /** Words in the (normalised) input. */
  readonly totalWords: number;
}

/** The rate of a text level: 0.05·r. */
export function textRate(level: number): number {
  return Math.round(0.05 * level * 1e6) / 1e6;
}

export function perturbText(text: string, kind: TextPerturbation, level: number, rng: Rng): TextPerturbationResult {
  const rate = textRate(level);
  switch (kind) {
    case 'sr':
      return synonymReplacement(text, rate, rng, loadWordNet());
    case 'KeyboardAug':
      return charAugment(text, rate, rng, keyboardEdit);
    case 'CharInsert':
      return charAugment(text, rate, rng, insertEdit);
    case 'CharDelete':
      return charAugment(text, rate, rng, deleteEdit);
    case 'CharSwap':
      return charAugment(text, rate, rng, swapEdit);
  }
}

/** EDA's stop words (NLTK's English list as copied into eda.py), never replaced. */
const EDA_STOP_WORDS = new Set(
  ('i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its ' +
    'itself they them their theirs themselves what which who whom this that these those am is are was were be been being have ' +
    'has had having do does did doing a an the and but if or because as until while of at by for with about against between ' +
    'into through during before after above below to from up down in out on off over under again further then once here there ' +
    'when where why how all any both each few more most other some such no nor not only own same so than too very s t can will ' +
    'just don should now').split(' '),
);

/** EDA's `get_only_chars`: drop apostrophes, hyphens/tabs/newlines → space, lower-case, non-letters → space, squeeze spaces. */
export function edaCleanText(line: string): string {
  const s = line.replace(/[’']/g, '').replace(/[-\t\n]/g, ' ').toLowerCase().replace(/[^a-z ]/g, ' ').replace(/ +/g, ' ');
  return s.startsWith(' ') ? s.slice(1) : s;
}

const synonymCache = new Map<string, string[]>();

/** EDA's `get_synonyms`: WordNet lemma names of all synsets, normalised, without the word itself (first-seen order). */
export function edaSynonyms(word: string, wn: WordNet): string[] {
  let syns = synonymCache.get(word);
  if (!syns) {
    const set = new Set<string>();
    for (const lemmas of wn.synsetLemmas(word)) {
      for (const l of lemmas) set.add(l.replace(/_/g, ' ').replace(/-/g, ' ').toLowerCase().replace(/[^a-z ]/g, ''));
    }
    set.delete(word);
    syns = [...set];
    synonymCache.set(word, syns);
  }
  return syns;
}

export function synonymReplacement(text: string, rate: number, rng: Rng, wn: WordNet): TextPerturbationResult {
  const words = edaCleanText(text).split(' ').filter((w) => w !== '');
  const n = Math.max(1, Math.floor(rate * words.length));
  const candidates = rng.shuffle([...new Set(words.filter((w) => !EDA_STOP_WORDS.has(w)))]);
  const out = words.slice();
  const changed = new Array<boolean>(words.length).fill(false);
  let replacedTypes = 0;
  for (const w of candidates) {
    const syns = edaSynonyms(w, wn);
    if (syns.length === 0) continue;
    const syn = rng.choice(syns);
    for (let i = 0; i < out.length; i++) {
      if (out[i] === w) {
        out[i] = syn;
        changed[i] = true;
      }
    }
    if (++replacedTypes >= n) break;
  }
  const changedWords = changed.filter(Boolean).length;
  return { text: edaCleanText(out.join(' ')).trimEnd(), changedWords, totalWords: words.length };
}

/** A character edit on one word: returns the new characters. */
type CharEdit = (chars: string[], positions: number[], rng: Rng) => string[];

const AUG_CHAR_P = 0.3;
const AUG_MIN = 1;
const AUG_MAX = 10;
const MIN_CHAR = 4;

/** nlpaug's `_generate_aug_cnt`: ⌈p·size⌉ clamped to [min, max]. */
function augCount(size: number, p: number): number {
  const cnt = Math.ceil(p * size - 1e-9);
  return Math.min(AUG_MAX, Math.max(AUG_MIN, cnt));
}

/** Word/character selection shared by KeyboardAug and RandomCharAug. */
function charAugment(text: string, wordRate: number, rng: Rng, edit: CharEdit): TextPerturbationResult {
  const tokens = [...text.matchAll(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu)];
  const isWord = (t: string): boolean => /[\p{L}\p{N}]/u.test(t);
  const totalWords = tokens.filter((t) => isWord(t[0])).length;
  const candidates = tokens.map((t, i) => (isWord(t[0]) && [...t[0]].length >= MIN_CHAR ? i : -1)).filter((i) => i >= 0);
  if (candidates.length === 0) return { text, changedWords: 0, totalWords };
  const chosen = new Set(rng.sample(candidates, augCount(tokens.length, wordRate)));
  let out = '';
  let last = 0;
  let changedWords = 0;
  tokens.forEach((t, i) => {
    const start = t.index!;
    out += text.slice(last, start);
    last = start + t[0].length;
    if (!chosen.has(i)) {
      out += t[0];
      return;
    }
    const chars = [...t[0]];
    const positions = rng.sample([...chars.keys()], augCount(chars.length, AUG_CHAR_P));
    const edited = edit(chars, positions, rng).join('');
    if (edited !== t[0]) changedWords++;
    out += edited;
  });
  out += text.slice(last);
  return { text: out, changedWords, totalWords };
}

const KEY_ROWS: readonly { keys: string; shifted: string; x0: number }[] = [
  { keys: '1234567890', shifted: '!@#$%^&*()', x0: 0 },
  { keys: 'qwertyuiop', shifted: 'QWERTYUIOP', x0: 0.5 },
  { keys: 'asdfghjkl', shifted: 'ASDFGHJKL', x0: 0.75 },
  { keys: 'zxcvbnm', shifted: 'ZXCVBNM', x0: 1.25 },
];

/**
 * QWERTY neighbours: keys in the same row next to it, and keys in the rows above and below
 * within 1.5 key widths (rows staggered as on a keyboard); each neighbour also as its shifted
 * character (upper-case letter, or the symbol over a digit). Upper-case keys share the list.
 */
const KEYBOARD_NEIGHBOURS: ReadonlyMap<string, readonly string[]> = (() => {
  const pos = new Map<string, { row: number; x: number; shifted: string }>();
  KEY_ROWS.forEach((r, row) => [...r.keys].forEach((k, i) => pos.set(k, { row, x: r.x0 + i, shifted: r.shifted[i] })));
  const map = new Map<string, string[]>();
  for (const [k, p] of pos) {
    const out = new Set<string>();
    for (const [k2, p2] of pos) {
      if (k2 === k) continue;
      const dx = Math.abs(p2.x - p.x);
      if ((p2.row === p.row && dx <= 1) || (Math.abs(p2.row - p.row) === 1 && dx <= 1.5)) {
        out.add(k2);
        out.add(p2.shifted);
      }
    }
    const list = [...out].filter((c) => c !== k && c !== p.shifted).sort();
    map.set(k, list);
    if (p.shifted !== k) map.set(p.shifted, list);
  }
  return map;
})();

export function keyboardNeighbours(ch: string): readonly string[] {
  return KEYBOARD_NEIGHBOURS.get(ch) ?? [];
}

const keyboardEdit: CharEdit = (chars, positions, rng) => {
  const out = chars.slice();
  for (const i of positions) {
    const cands = keyboardNeighbours(chars[i]);
    if (cands.length > 0) out[i] = rng.choice(cands);
  }
  return out;
};

const INSERT_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];

const insertEdit: CharEdit = (chars, positions, rng) => {
  const out = chars.slice();
  for (const i of [...positions].sort((a, b) => b - a)) out.splice(i, 0, rng.choice(INSERT_CHARS));
  return out;
};

const deleteEdit: CharEdit = (chars, positions) => {
  const drop = new Set(positions);
  return chars.filter((_, i) => !drop.has(i));
};

const swapEdit: CharEdit = (chars, positions) => {
  const out = chars.slice();
  for (const i of positions) {
    const j = i + 1 < out.length ? i + 1 : i - 1;
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
};
