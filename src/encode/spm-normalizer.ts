/**
 * SentencePiece's text normaliser (normalizer.cc), on UTF-8 bytes:
 *
 * 1. Rules: at each position the longest key of the precompiled charsmap (a darts-clone trie
 *    over UTF-8 byte strings) that prefixes the rest of the input is replaced by its
 *    NUL-terminated output string; without a match one UTF-8 character is copied (a malformed
 *    byte becomes U+FFFD). Without a charsmap (the "identity" rule) every character is copied.
 * 2. Whitespace (only ASCII space counts, after the rules): with remove_extra_whitespaces,
 *    leading spaces are dropped, a rule output's leading spaces are dropped when the text so
 *    far ends with a space, and trailing spaces are dropped at the end; with add_dummy_prefix
 *    one space is put in front; with escape_whitespaces every space is written as U+2581 "▁".
 *
 * The charsmap blob is `<uint32 LE trie byte size><trie units><output strings>`.
 */
import { DoubleArray } from './darts.js';

export interface SpmNormalizerSpec {
  readonly addDummyPrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  readonly escapeWhitespaces: boolean;
}

/** XLM-R's (and SentencePiece's default) settings. */
export const SPM_DEFAULT_SPEC: SpmNormalizerSpec = { addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true };

const SPACE = 0x20;
const ESCAPED = [0xe2, 0x96, 0x81]; // U+2581
const REPLACEMENT = Uint8Array.of(0xef, 0xbf, 0xbd); // U+FFFD

interface CharsMap {
  readonly trie: DoubleArray;
  /** The output strings, each ended by a NUL byte; a trie value is an offset into it. */
  readonly outputs: Uint8Array;
}

/** Split a precompiled charsmap blob into its trie and its output strings. */
export function parseCharsMap(blob: Uint8Array): CharsMap {
  if (blob.length <= 4) throw new RangeError(`precompiled charsmap: ${blob.length} bytes, too short for the trie size`);
  const trieSize = new DataView(blob.buffer, blob.byteOffset, 4).getUint32(0, true);
  if (trieSize + 4 > blob.length) throw new RangeError(`precompiled charsmap: trie of ${trieSize} bytes exceeds the ${blob.length}-byte blob`);
  return { trie: DoubleArray.fromBytes(blob, 4, trieSize), outputs: blob.subarray(4 + trieSize) };
}

/** Byte length of the valid UTF-8 character at `pos` (as SentencePiece's DecodeUTF8 judges it), or 0 when malformed. */
export function utf8CharLength(s: Uint8Array, pos: number, end: number): number {
  const b0 = s[pos];
  if (b0 < 0x80) return 1;
  const n = (b0 & 0xe0) === 0xc0 ? 2 : (b0 & 0xf0) === 0xe0 ? 3 : (b0 & 0xf8) === 0xf0 ? 4 : 0;
  if (n === 0 || pos + n > end) return 0;
  let cp = b0 & (0x7f >> n);
  for (let k = 1; k < n; k++) {
    const b = s[pos + k];
    if ((b & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < (n === 2 ? 0x80 : n === 3 ? 0x800 : 0x10000)) return 0;
  return cp < 0xd800 || (cp >= 0xe000 && cp <= 0x10ffff) ? n : 0;
}

/** A growable byte buffer. */
class Bytes {
  data: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Uint8Array(Math.max(16, capacity));
  }
  push(b: number): void {
    if (this.length === this.data.length) this.grow(1);
    this.data[this.length++] = b;
  }
  /** A space: U+2581 when `escape`, else ' '. */
  pushSpace(escape: boolean): void {
    if (!escape) return this.push(SPACE);
    this.push(ESCAPED[0]);
    this.push(ESCAPED[1]);
    this.push(ESCAPED[2]);
  }
  private grow(extra: number): void {
    const next = new Uint8Array(Math.max(this.data.length * 2, this.length + extra));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

export class SpmNormalizer {
  private readonly map: CharsMap | undefined;
  /** Output of the last `rule` call: bytes [ruleStart, ruleEnd) of `ruleSource`. */
  private ruleSource: Uint8Array = REPLACEMENT;
  private ruleStart = 0;
  private ruleEnd = 0;

  /** `charsmap`: the precompiled_charsmap bytes, or undefined for the identity rule. */
  constructor(charsmap: Uint8Array | undefined, readonly spec: SpmNormalizerSpec = SPM_DEFAULT_SPEC) {
    this.map = charsmap && charsmap.length > 0 ? parseCharsMap(charsmap) : undefined;
  }

  /**
   * Apply the rule at `input[pos..end)`: sets ruleSource/ruleStart/ruleEnd to its output and
   * returns the number of input bytes consumed (NormalizePrefix).
   */
  private rule(input: Uint8Array, pos: number, end: number): number {
    if (this.map) {
      const { length, value } = this.map.trie.longestPrefix(input, pos, end);
      if (length > 0) {
        const out = this.map.outputs;
        let e = value;
        while (e < out.length && out[e] !== 0) e++;
        this.ruleSource = out;
        this.ruleStart = value;
        this.ruleEnd = e;
        return length;
      }
    }
    const n = utf8CharLength(input, pos, end);
    if (n === 0) {
      this.ruleSource = REPLACEMENT;
      this.ruleStart = 0;
      this.ruleEnd = 3;
      return 1;
    }
    this.ruleSource = input;
    this.ruleStart = pos;
    this.ruleEnd = pos + n;
    return n;
  }

  /** Normalise UTF-8 `input` into the UTF-8 bytes SentencePiece's model sees. */
  normalize(input: Uint8Array): Uint8Array {
    const { addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces } = this.spec;
    const end = input.length;
    let pos = 0;
    if (removeExtraWhitespaces) {
      while (pos < end) {
        const used = this.rule(input, pos, end);
        if (this.ruleEnd - this.ruleStart !== 1 || this.ruleSource[this.ruleStart] !== SPACE) break;
        pos += used;
      }
    }
    if (pos === end) return new Uint8Array(0);
    const out = new Bytes((end - pos) * 3 + 3);
    if (addDummyPrefix) out.pushSpace(escapeWhitespaces);
    let prevSpace = removeExtraWhitespaces;
    while (pos < end) {
      const used = this.rule(input, pos, end);
      const src = this.ruleSource;
      let s = this.ruleStart;
      const e = this.ruleEnd;
      if (prevSpace) while (s < e && src[s] === SPACE) s++;
      if (s < e) {
        for (let k = s; k < e; k++) {
          if (src[k] === SPACE) out.pushSpace(escapeWhitespaces);
          else out.push(src[k]);
        }
        prevSpace = src[e - 1] === SPACE;
      }
      pos += used;
      if (!removeExtraWhitespaces) prevSpace = false;
    }
    let n = out.length;
    if (removeExtraWhitespaces) {
      const d = out.data;
      if (escapeWhitespaces) while (n >= 3 && d[n - 3] === ESCAPED[0] && d[n - 2] === ESCAPED[1] && d[n - 1] === ESCAPED[2]) n -= 3;
      else while (n >= 1 && d[n - 1] === SPACE) n--;
    }
    return out.data.slice(0, n);
  }
}
