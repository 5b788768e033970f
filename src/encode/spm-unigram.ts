/**
 * SentencePiece's unigram model: the best segmentation of a normalised UTF-8 string
 * (unigram_model.cc, Model::EncodeOptimized), reproduced bit for bit:
 *
 * - Scores and the stored best path score per end position are 32-bit floats. A piece's
 *   candidate is computed in double (the C++ `score` is a double: its `?:` mixes the float
 *   score with a double user-symbol bonus), compared in double with the stored float, and
 *   rounded to float when stored; the unknown candidate is a float sum. This rounding decides
 *   near-ties such as `ff,f` vs `f,ff`, which sum to the same value in exact arithmetic.
 * - Ties keep the first candidate: starts are visited left to right by character, pieces
 *   from each start by increasing length, and a candidate replaces the best only when greater.
 * - A character that starts no piece of exactly one character gets an unknown node of score
 *   float32(min normal score − 10) (kUnkPenalty); consecutive unknown nodes of the best path
 *   are merged into one unknown token (SentencePieceProcessor's PopulateSentencePieceText).
 */

export interface UnigramPiece {
  /** The piece's UTF-8 bytes. */
  readonly bytes: Uint8Array;
  /** The id emitted for it. */
  readonly id: number;
  readonly score: number;
}

/** SentencePiece's kUnkPenalty. */
const UNK_PENALTY = 10;

/**
 * A byte trie as an open-addressing hash of edges (parent · 256 + byte → child), with the
 * piece index ending at each node (−1 for none).
 */
class ByteTrie {
  private keys: Int32Array;
  private children: Int32Array;
  private mask: number;
  private shift: number;
  private count = 0;
  private nodes = 1;
  private leaf: Int32Array;

  constructor(expectedEdges: number) {
    let cap = 16;
    while (cap < expectedEdges * 2) cap *= 2;
    this.keys = new Int32Array(cap).fill(-1);
    this.children = new Int32Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.leaf = new Int32Array(Math.max(16, expectedEdges + 1)).fill(-1);
  }

  private slot(key: number): number {
    // Fibonacci hashing: the product's top bits (its low bits would only see the key's low bits).
    let h = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      h &= this.mask;
      const k = this.keys[h];
      if (k === key || k === -1) return h;
      h++;
    }
  }

  child(node: number, byte: number): number {
    const h = this.slot(node * 256 + byte);
    return this.keys[h] === -1 ? -1 : this.children[h];
  }

  leafOf(node: number): number {
    return this.leaf[node];
  }

  /** Insert `bytes` and mark its end with `value`; returns false when the key was already present. */
  insert(bytes: Uint8Array, value: number): boolean {
    let node = 0;
    for (const b of bytes) {
      const key = node * 256 + b;
      let h = this.slot(key);
      if (this.keys[h] === -1) {
        if ((this.count + 1) * 2 > this.keys.length) {
          this.rehash();
          h = this.slot(key);
        }
        if (this.nodes >= 1 << 23) throw new RangeError('unigram: more than 2^23 trie nodes');
        this.keys[h] = key;
        this.children[h] = this.nodes++;
        this.count++;
        if (this.nodes > this.leaf.length) {
          const next = new Int32Array(this.leaf.length * 2).fill(-1);
          next.set(this.leaf);
          this.leaf = next;
        }
      }
      node = this.children[h];
    }
    if (this.leaf[node] !== -1) return false;
    this.leaf[node] = value;
    return true;
  }

  private rehash(): void {
    const oldKeys = this.keys;
    const oldChildren = this.children;
    this.keys = new Int32Array(oldKeys.length * 2).fill(-1);
    this.children = new Int32Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    this.shift--;
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] === -1) continue;
      const h = this.slot(oldKeys[i]);
      this.keys[h] = oldKeys[i];
      this.children[h] = oldChildren[i];
    }
  }
}

export class UnigramModel {
  private readonly trie: ByteTrie;
  private readonly ids: Int32Array;
  private readonly scores: Float32Array;
  /** float32(min score − 10). */
  readonly unkScore: number;

  /**
   * `pieces`: the normal pieces (SentencePiece's NORMAL type; control and unknown pieces never
   * match text); `unkId`: the id emitted for unknown text.
   */
  constructor(pieces: readonly UnigramPiece[], readonly unkId: number) {
    if (pieces.length === 0) throw new RangeError('unigram: no pieces');
    let edges = 0;
    for (const p of pieces) edges += p.bytes.length;
    this.trie = new ByteTrie(edges);
    this.ids = new Int32Array(pieces.length);
    this.scores = new Float32Array(pieces.length);
    let minScore = Infinity;
    pieces.forEach((p, i) => {
      if (p.bytes.length === 0) throw new RangeError(`unigram: piece ${p.id} is empty`);
      if (!this.trie.insert(p.bytes, i)) throw new RangeError(`unigram: piece ${p.id} "${new TextDecoder().decode(p.bytes)}" is defined twice`);
      this.ids[i] = p.id;
      this.scores[i] = p.score;
      minScore = Math.min(minScore, this.scores[i]);
    });
    this.unkScore = Math.fround(minScore - UNK_PENALTY);
  }

  /** Append the ids of the best segmentation of `s` (normalised UTF-8) to `out`. */
  encode(s: Uint8Array, out: number[]): void {
    const n = s.length;
    if (n === 0) return;
    const best = new Float32Array(n + 1);
    const start = new Int32Array(n + 1).fill(-1);
    const piece = new Int32Array(n + 1);
    const trie = this.trie;
    for (let at = 0; at < n; ) {
      const till = best[at];
      const b0 = s[at];
      const mblen = Math.min(b0 < 0xc0 ? 1 : b0 < 0xe0 ? 2 : b0 < 0xf0 ? 3 : 4, n - at);
      let single = false;
      let node = 0;
      for (let k = at; k < n; k++) {
        node = trie.child(node, s[k]);
        if (node < 0) break;
        const p = trie.leafOf(node);
        if (p < 0) continue;
        const e = k + 1;
        const score = this.scores[p] + till;
        if (start[e] === -1 || score > best[e]) {
          best[e] = score;
          start[e] = at;
          piece[e] = p;
        }
        if (e - at === mblen) single = true;
      }
      if (!single) {
        const e = at + mblen;
        const score = Math.fround(this.unkScore + till);
        if (start[e] === -1 || score > best[e]) {
          best[e] = score;
          start[e] = at;
          piece[e] = -1;
        }
      }
      at += mblen;
    }
    const path: number[] = [];
    for (let e = n; e > 0; e = start[e]) path.push(piece[e]);
    let prevUnk = false;
    for (let i = path.length - 1; i >= 0; i--) {
      const unk = path[i] < 0;
      if (!(unk && prevUnk)) out.push(unk ? this.unkId : this.ids[path[i]]);
      prevUnk = unk;
    }
  }
}
