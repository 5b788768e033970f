import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edaCleanText, edaSynonyms, keyboardNeighbours, perturbText, textRate } from '../../src/shift/text.js';
import { loadWordNet } from '../../src/shift/wordnet.js';
import { Rng } from '../../src/core/random.js';

/** Common content words that all have WordNet synonyms. */
const VOCAB = (
  'car dog house picture table chair window street tree river mountain city road boat bird horse apple bread ' +
  'cup glass bottle bag suitcase book phone computer screen light door wall floor roof garden flower grass ' +
  'child woman man hat shirt shoe coat ball game field train plane bus bridge tower clock bed kitchen food ' +
  'color shape size image scene photo dinner lunch market shop store office school teacher student doctor'
).split(' ');

function sentence(rng: Rng, n: number): string {
  return rng.sample(VOCAB, n).join(' ');
}

test('EDA normalisation and synonyms follow eda.py / NLTK WordNet', () => {
  assert.equal(edaCleanText("What's the colour of the two-tone suitcases?"), 'whats the colour of the two tone suitcases ');
  const wn = loadWordNet();
  const two = edaSynonyms('two', wn);
  assert.ok(two.includes('ii') && two.includes('deuce'), two.join('|'));
  assert.ok(two.includes(''), '"2" normalises to the empty synonym, as in eda.py');
  assert.ok(!two.includes('two'));
  const suitcases = edaSynonyms('suitcases', wn); // morphy: suitcases → suitcase
  assert.ok(suitcases.includes('bag') && suitcases.includes('traveling bag'), suitcases.join('|'));
  assert.ok(edaSynonyms('taken', wn).includes('involve'), 'irregular verb form reaches the lemma "take"');
  assert.deepEqual(edaSynonyms('qwzx', wn), []);
});

test('sr_r replaces max(1, ⌊0.05·r·n⌋) word types: rate met on average on sentences of distinct words', () => {
  for (const r of [1, 4, 7]) {
    let changed = 0, total = 0;
    for (let k = 0; k < 60; k++) {
      const s = sentence(Rng.forKey(3, 'sentence', k), 40);
      const res = perturbText(s, 'sr', r, Rng.forKey(0, `sr_${r}`, k));
      assert.equal(res.totalWords, 40);
      // n word types are replaced; a synonym that equals another word of the sentence can be replaced again later
      const n = Math.max(1, Math.floor(textRate(r) * 40));
      assert.ok(res.changedWords >= n && res.changedWords <= n + 2, `${res.changedWords} vs ${n}`);
      assert.match(res.text, /^[a-z ]*$/);
      changed += res.changedWords;
      total += res.totalWords;
    }
    assert.ok(Math.abs(changed / total - 0.05 * r) < 0.0125 + 1e-9, `sr_${r}: ${changed / total}`);
  }
});

test('sr on a paper question: lower-case, no punctuation, two words replaced at sr_4, seeded', () => {
  const q = 'What is the color of the two suitcases in the image?';
  const a = perturbText(q, 'sr', 4, Rng.forKey(0, 'sr_4', '0'));
  const b = perturbText(q, 'sr', 4, Rng.forKey(0, 'sr_4', '0'));
  assert.deepEqual(a, b);
  assert.equal(a.changedWords, 2);
  assert.match(a.text, /^what is the [a-z ]+$/);
  assert.notEqual(a.text, edaCleanText(q).trimEnd());
});

test('KeyboardAug_r edits ⌈0.05·r·#tokens⌉ words with QWERTY neighbours (nlpaug defaults)', () => {
  for (const r of [1, 3]) {
    let changed = 0, total = 0;
    for (let k = 0; k < 60; k++) {
      const s = sentence(Rng.forKey(4, 'sentence', k), 40);
      const res = perturbText(s, 'KeyboardAug', r, Rng.forKey(0, `KeyboardAug_${r}`, k));
      const before = s.split(' '), after = res.text.split(' ');
      assert.equal(after.length, before.length, 'spacing kept');
      let edited = 0;
      before.forEach((w, i) => {
        if (w === after[i]) return;
        edited++;
        assert.ok(w.length >= 4, `short word "${w}" must not be edited`);
        const diffs = [...w].filter((c, j) => c !== after[i][j]);
        assert.ok(diffs.length >= 1 && diffs.length <= Math.ceil(0.3 * w.length), `${w} → ${after[i]}`);
        [...w].forEach((c, j) => {
          if (c !== after[i][j]) assert.ok(keyboardNeighbours(c).includes(after[i][j]), `${c} → ${after[i][j]} is not a neighbour`);
        });
      });
      assert.equal(edited, res.changedWords);
      assert.equal(edited, Math.ceil(textRate(r) * 40 - 1e-9));
      changed += edited;
      total += before.length;
    }
    assert.ok(Math.abs(changed / total - 0.05 * r) < 1e-9, `KeyboardAug_${r}: ${changed / total}`);
  }
  const q = 'What is the color of the two suitcases in the image?';
  const res = perturbText(q, 'KeyboardAug', 1, Rng.forKey(0, 'k', 1));
  assert.match(res.text, /\?$/, 'punctuation kept');
  assert.equal(res.text.split(' ').length, q.split(' ').length);
});

test('keyboard neighbours are the adjacent keys, their shifted characters, for both cases', () => {
  const t = keyboardNeighbours('t');
  for (const c of ['4', '5', '6', 'r', 'y', 'f', 'g', 'h', 'R', '%']) assert.ok(t.includes(c), `t: ${c} in ${t.join('')}`);
  for (const c of ['t', 'T', 'a', 'p', '1']) assert.ok(!t.includes(c), `t: ${c} not a neighbour`);
  assert.deepEqual(keyboardNeighbours('T'), t);
  assert.deepEqual(keyboardNeighbours('é'), []);
});

test('CharInsert / CharDelete / CharSwap change word lengths as they should', () => {
  const s = sentence(Rng.forKey(5, 'sentence'), 40);
  const ins = perturbText(s, 'CharInsert', 5, Rng.forKey(0, 'ins'));
  const del = perturbText(s, 'CharDelete', 5, Rng.forKey(0, 'del'));
  const swp = perturbText(s, 'CharSwap', 5, Rng.forKey(0, 'swp'));
  const len = (x: string): number => x.replace(/ /g, '').length;
  assert.ok(len(ins.text) > len(s));
  assert.ok(len(del.text) < len(s));
  assert.equal(len(swp.text), len(s));
  assert.deepEqual([...swp.text].sort(), [...s].sort(), 'swap permutes characters');
  for (const res of [ins, del]) assert.equal(res.changedWords, Math.ceil(0.25 * 40));
  assert.equal(perturbText('a an of', 'CharDelete', 5, Rng.forKey(0)).text, 'a an of', 'no word of ≥ 4 characters: unchanged');
});
