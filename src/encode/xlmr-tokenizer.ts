/**
 * XLM-R's tokenizer as the authors ran it (E5): the slow `XLMRobertaTokenizer`, i.e.
 * SentencePiece's unigram model with the fairseq id offset, built from the model's
 * `tokenizer.json` (nothing else is read, nothing fetched).
 *
 * - The text is first split on the added tokens (`<s>`, `<pad>`, `</s>`, `<unk>`, `<mask>`),
 *   as transformers' PreTrainedTokenizer.tokenize does: a literal `<s>` in the text becomes
 *   id 0, and a token with `lstrip` (`<mask>`) eats the whitespace on its left (`rstrip`:
 *   on its right; whitespace as Python's str.strip sees it).
 * - Each remaining piece goes through SentencePiece: the `precompiled_charsmap` of the
 *   Precompiled normaliser (spm-normalizer.ts; identity when there is none), whitespace
 *   trimmed, collapsed and escaped as `▁` with a dummy prefix, then the unigram Viterbi
 *   (spm-unigram.ts) with unknown runs merged into one `<unk>`.
 * - Ids are the vocab's indices in tokenizer.json: SentencePiece's id + 1, `<unk>` = 3.
 *
 * Both layouts Hugging Face published for XLM-R are read as that one algorithm: normaliser
 * Precompiled with pre-tokeniser Sequence[WhitespaceSplit, Metaspace], and normaliser
 * Sequence[Precompiled, Replace(" {2,}", " ")] with pre-tokeniser Metaspace. Both are fast-
 * tokenizer approximations of SentencePiece's own whitespace rules, which are applied instead;
 * any other normaliser or pre-tokeniser is refused rather than silently approximated.
 */
import { InputError } from '../errors.js';
import { SPM_DEFAULT_SPEC, SpmNormalizer } from './spm-normalizer.js';
import { UnigramModel, type UnigramPiece } from './spm-unigram.js';

/** Something that turns text into token ids without special tokens. */
export interface XlmrTokenizer {
  encodeContent(text: string): number[];
  readonly bosId: number;
  readonly eosId: number;
}

interface AddedToken {
  readonly content: string;
  readonly id: number;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Python's str.isspace characters (what str.strip removes). */
const PY_SPACE = '\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
const pyRstrip = (s: string) => {
  let e = s.length;
  while (e > 0 && PY_SPACE.includes(s[e - 1])) e--;
  return s.slice(0, e);
};
const pyLstrip = (s: string) => {
  let b = 0;
  while (b < s.length && PY_SPACE.includes(s[b])) b++;
  return s.slice(b);
};

/** What the normaliser entry contributes: the charsmap, or nothing (a whitespace rule SentencePiece applies itself). */
function readNormalizer(n: unknown, path: string): Uint8Array | undefined {
  if (n === null || n === undefined) return undefined;
  if (!isObject(n)) throw new InputError(`${path}: "normalizer" must be an object or null`);
  if (n.type === 'Sequence') {
    if (!Array.isArray(n.normalizers)) throw new InputError(`${path}: "normalizer.normalizers" must be an array`);
    let map: Uint8Array | undefined;
    for (const m of n.normalizers) {
      const got = readNormalizer(m, path);
      if (got) {
        if (map) throw new InputError(`${path}: more than one Precompiled normalizer`);
        map = got;
      }
    }
    return map;
  }
  if (n.type === 'Precompiled') {
    if (typeof n.precompiled_charsmap !== 'string') throw new InputError(`${path}: "normalizer.precompiled_charsmap" must be a base64 string`);
    return new Uint8Array(Buffer.from(n.precompiled_charsmap, 'base64'));
  }
  if (n.type === 'Replace') {
    const pattern = isObject(n.pattern) ? (n.pattern.Regex ?? n.pattern.String) : undefined;
    if (pattern === ' {2,}' && n.content === ' ') return undefined;
  }
  throw new InputError(`${path}: unsupported normalizer ${JSON.stringify(n).slice(0, 80)} (expected XLM-R's: Precompiled, optionally with Replace(" {2,}", " "))`);
}

/** add_dummy_prefix, from the Metaspace pre-tokeniser (alone or after WhitespaceSplit). */
function readPreTokenizer(p: unknown, path: string): boolean {
  const bad = () => new InputError(`${path}: unsupported pre_tokenizer ${JSON.stringify(p).slice(0, 120)} (expected Metaspace("▁"), optionally after WhitespaceSplit)`);
  if (!isObject(p)) throw bad();
  let meta: Json = p;
  if (p.type === 'Sequence') {
    const list = p.pretokenizers;
    if (!Array.isArray(list) || list.length === 0 || list.length > 2) throw bad();
    if (list.length === 2 && !(isObject(list[0]) && list[0].type === 'WhitespaceSplit')) throw bad();
    meta = list[list.length - 1] as Json;
  }
  if (!isObject(meta) || meta.type !== 'Metaspace' || (meta.replacement !== undefined && meta.replacement !== '▁')) throw bad();
  if (meta.prepend_scheme !== undefined) {
    if (meta.prepend_scheme === 'never') return false;
    if (meta.prepend_scheme === 'always' || meta.prepend_scheme === 'first') return true;
    throw bad();
  }
  return meta.add_prefix_space !== false;
}

function readAddedTokens(t: unknown, path: string): AddedToken[] {
  if (t === undefined || t === null) return [];
  if (!Array.isArray(t)) throw new InputError(`${path}: "added_tokens" must be an array`);
  return t.map((a, i) => {
    if (!isObject(a) || typeof a.content !== 'string' || a.content === '' || !Number.isInteger(a.id)) {
      throw new InputError(`${path}: added_tokens[${i}] must have a non-empty "content" and an integer "id"`);
    }
    if (a.single_word === true) throw new InputError(`${path}: added_tokens[${i}] has "single_word": true, which XLM-R's tokens do not use (not supported)`);
    return { content: a.content, id: a.id as number, lstrip: a.lstrip === true, rstrip: a.rstrip === true };
  });
}

/** The ids the post-processor puts around a single sequence. */
function readWrap(p: unknown, path: string): { bosId: number; eosId: number } {
  const bad = () => new InputError(`${path}: expected the post_processor to wrap text as <s> … </s> (TemplateProcessing or RobertaProcessing)`);
  if (!isObject(p)) throw bad();
  if (p.type === 'RobertaProcessing') {
    const cls = p.cls;
    const sep = p.sep;
    if (!Array.isArray(cls) || !Array.isArray(sep) || !Number.isInteger(cls[1]) || !Number.isInteger(sep[1])) throw bad();
    return { bosId: cls[1] as number, eosId: sep[1] as number };
  }
  if (p.type !== 'TemplateProcessing' || !Array.isArray(p.single) || !isObject(p.special_tokens)) throw bad();
  const single = p.single as unknown[];
  const special = p.special_tokens;
  const idOf = (item: unknown): number => {
    const name = isObject(item) && isObject(item.SpecialToken) ? item.SpecialToken.id : undefined;
    const entry = typeof name === 'string' ? special[name] : undefined;
    const ids = isObject(entry) ? entry.ids : undefined;
    if (!Array.isArray(ids) || ids.length !== 1 || !Number.isInteger(ids[0])) throw bad();
    return ids[0] as number;
  };
  if (single.length !== 3 || !(isObject(single[1]) && 'Sequence' in single[1])) throw bad();
  return { bosId: idOf(single[0]), eosId: idOf(single[2]) };
}

/** Build the tokenizer from a parsed `tokenizer.json` (`path` names it in errors). */
export function xlmrTokenizerFromJson(tok: Json, path: string): XlmrTokenizer {
  const model = tok.model;
  if (!isObject(model) || model.type !== 'Unigram') throw new InputError(`${path}: "model.type" must be "Unigram" (XLM-R's SentencePiece model)`);
  if (model.byte_fallback === true) throw new InputError(`${path}: "model.byte_fallback" is true; XLM-R's model has no byte fallback`);
  const vocab = model.vocab;
  if (!Array.isArray(vocab) || vocab.length === 0) throw new InputError(`${path}: "model.vocab" must be a non-empty array of [piece, score]`);
  const unkId = model.unk_id;
  if (!Number.isInteger(unkId) || (unkId as number) < 0 || (unkId as number) >= vocab.length) throw new InputError(`${path}: "model.unk_id" must be an index into model.vocab`);
  const added = readAddedTokens(tok.added_tokens, path);
  const addedIds = new Set(added.map((a) => a.id));
  const utf8 = new TextEncoder();
  const pieces: UnigramPiece[] = [];
  vocab.forEach((v, id) => {
    if (!Array.isArray(v) || typeof v[0] !== 'string' || v[0] === '' || typeof v[1] !== 'number' || !Number.isFinite(v[1])) {
      throw new InputError(`${path}: model.vocab[${id}] must be [non-empty piece, finite score]`);
    }
    if (id !== unkId && !addedIds.has(id)) pieces.push({ bytes: utf8.encode(v[0]), id, score: Math.fround(v[1]) });
  });
  const charsmap = readNormalizer(tok.normalizer, path);
  const addDummyPrefix = readPreTokenizer(tok.pre_tokenizer, path);
  const { bosId, eosId } = readWrap(tok.post_processor, path);
  let normalizer: SpmNormalizer;
  let unigram: UnigramModel;
  try {
    normalizer = new SpmNormalizer(charsmap, { ...SPM_DEFAULT_SPEC, addDummyPrefix });
    unigram = new UnigramModel(pieces, unkId as number);
  } catch (e) {
    throw new InputError(`${path}: ${(e as Error).message}`);
  }
  const splitter = added.length > 0 ? new RegExp(added.map((a) => a.content).sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g') : undefined;
  const byContent = new Map(added.map((a) => [a.content, a]));

  const encodePiece = (text: string, out: number[]) => {
    if (text !== '') unigram.encode(normalizer.normalize(utf8.encode(text)), out);
  };
  return {
    bosId,
    eosId,
    encodeContent(text: string): number[] {
      const out: number[] = [];
      if (!splitter) {
        encodePiece(text, out);
        return out;
      }
      // [text, token, text, token, ..., text], then the tokens' strip flags, then encode.
      const parts: string[] = [];
      const tokens: AddedToken[] = [];
      let last = 0;
      for (const m of text.matchAll(splitter)) {
        parts.push(text.slice(last, m.index));
        tokens.push(byContent.get(m[0])!);
        last = m.index + m[0].length;
      }
      parts.push(text.slice(last));
      tokens.forEach((t, i) => {
        if (t.lstrip) parts[i] = pyRstrip(parts[i]);
        if (t.rstrip) parts[i + 1] = pyLstrip(parts[i + 1]);
      });
      for (let i = 0; i < parts.length; i++) {
        encodePiece(parts[i], out);
        if (i < tokens.length) out.push(tokens[i].id);
      }
      return out;
    },
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
