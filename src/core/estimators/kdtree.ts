/**
 * A k-d tree over n points in d dimensions for max-norm (Chebyshev) queries: the distance to
 * the k-th nearest neighbour and exact counts of points strictly inside a max-norm ball. Median
 * split on the widest coordinate, leaves of ≤ 16 points (≤ 64 above 4 dimensions, where box
 * pruning is weak and scanning a leaf is cheaper than descending further: about 1.5× faster at
 * 10–20 dimensions), a bounding box per node, points copied into tree order. Memory O(n·d).
 * Queries prune whole boxes (each box's distance computed once, when its parent is expanded)
 * and stop scanning a point at its first coordinate beyond the radius. That is fast in a few
 * dimensions; in 20 joint dimensions at n = 10,000 a k-th-neighbour query still scans about half
 * the points (≈ 4 coordinates each), since few boxes lie wholly beyond a max-norm radius there.
 */

export class KdTree {
  readonly n: number;
  readonly d: number;
  /** Points in tree order, [n, d]. */
  private readonly pts: Float64Array;
  /** Original index of the point at tree position t. */
  readonly order: Int32Array;
  /** Node t holds tree positions [start[t], end[t]); left/right are −1 at a leaf. */
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  /** Bounding box of node t: lo/hi[t·d … t·d + d). */
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private nodes = 0;
  private readonly leafSize: number;
  /**
   * Traversal stack of nodes and of their box distances (computed once, when the parent is
   * expanded), reused by every query: at most depth + 1 entries are live, depth ≤ log₂ n + 1.
   */
  private readonly stack = new Int32Array(64 + 2 * Math.ceil(Math.log2(Number.MAX_SAFE_INTEGER)));
  private readonly stackDist = new Float64Array(this.stack.length);

  /** `data` is row-major [n, d]; it is not modified. */
  constructor(data: ArrayLike<number>, n: number, d: number) {
    if (data.length !== n * d) throw new RangeError(`KdTree: data length ${data.length} ≠ ${n}·${d}`);
    this.n = n;
    this.d = d;
    this.leafSize = d <= 4 ? 16 : 64;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    // Median splits leave ≥ leafSize/2 points in every leaf, so at most 2n/leafSize leaves and
    // 4n/leafSize nodes.
    const cap = 4 * Math.ceil(n / this.leafSize) + 1;
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
    this.left = new Int32Array(cap);
    this.right = new Int32Array(cap);
    this.lo = new Float64Array(cap * d);
    this.hi = new Float64Array(cap * d);
    this.build(data, order, 0, n);
    this.order = order;
    this.pts = new Float64Array(n * d);
    for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) this.pts[t * d + j] = data[order[t] * d + j];
  }

  private build(data: ArrayLike<number>, order: Int32Array, s: number, e: number): number {
    const d = this.d;
    const node = this.nodes++;
    this.start[node] = s;
    this.end[node] = e;
    this.left[node] = -1;
    this.right[node] = -1;
    const o = node * d;
    for (let j = 0; j < d; j++) {
      this.lo[o + j] = Infinity;
      this.hi[o + j] = -Infinity;
    }
    for (let t = s; t < e; t++) {
      const p = order[t] * d;
      for (let j = 0; j < d; j++) {
        const v = data[p + j];
        if (v < this.lo[o + j]) this.lo[o + j] = v;
        if (v > this.hi[o + j]) this.hi[o + j] = v;
      }
    }
    if (e - s <= this.leafSize) return node;
    let axis = 0;
    let spread = -1;
    for (let j = 0; j < d; j++) {
      const w = this.hi[o + j] - this.lo[o + j];
      if (w > spread) { spread = w; axis = j; }
    }
    if (spread <= 0) return node;
    const mid = (s + e) >> 1;
    select(data, order, s, e - 1, mid, d, axis);
    this.left[node] = this.build(data, order, s, mid);
    this.right[node] = this.build(data, order, mid, e);
    return node;
  }

  /** Max-norm distance from q to the box of `node` (0 inside), or any value ≥ `bound` once it is known to reach it. */
  private boxDist(node: number, q: Float64Array, bound: number): number {
    const o = node * this.d;
    const lo = this.lo;
    const hi = this.hi;
    let m = 0;
    for (let j = 0; j < this.d; j++) {
      const v = q[j];
      const a = lo[o + j] - v;
      const b = v - hi[o + j];
      const g = a > b ? a : b;
      if (g > m) {
        m = g;
        if (m >= bound) return m;
      }
    }
    return m;
  }

  /**
   * Max-norm distance from q to its k-th nearest point, skipping the point with original index
   * `self` (pass −1 to skip none). `upperBound`, if given, must be ≥ the answer (at least k
   * points lie within it); it only speeds up the search. The answer is one of the computed
   * point distances (or the bound), so it is the same float whatever the bound and visit order.
   */
  kthDistance(q: Float64Array, k: number, self: number, upperBound = Infinity): number {
    const best = new Float64Array(k).fill(upperBound); // ascending
    let worst = upperBound;
    const { d, pts, order, start, end, left, right, stack, stackDist } = this;
    let top = 0;
    stack[top] = 0;
    stackDist[top++] = this.boxDist(0, q, worst);
    while (top > 0) {
      const node = stack[--top];
      // The box distance was computed when the node was pushed; `worst` may have shrunk since.
      if (stackDist[top] >= worst) continue;
      const l = left[node];
      if (l >= 0) {
        const r = right[node];
        const dl = this.boxDist(l, q, worst);
        const dr = this.boxDist(r, q, worst);
        // Push the farther child first so the nearer one is searched first; boxes already at
        // or beyond `worst` are not pushed at all.
        if (dl <= dr) {
          if (dr < worst) { stack[top] = r; stackDist[top++] = dr; }
          if (dl < worst) { stack[top] = l; stackDist[top++] = dl; }
        } else {
          if (dl < worst) { stack[top] = l; stackDist[top++] = dl; }
          if (dr < worst) { stack[top] = r; stackDist[top++] = dr; }
        }
        continue;
      }
      const e = end[node];
      for (let t = start[node]; t < e; t++) {
        const o = t * d;
        let m = 0;
        for (let j = 0; j < d; j++) {
          const v = Math.abs(pts[o + j] - q[j]);
          if (v > m) {
            m = v;
            if (m >= worst) break;
          }
        }
        if (m < worst && order[t] !== self) {
          let p = k - 1;
          while (p > 0 && best[p - 1] > m) { best[p] = best[p - 1]; p--; }
          best[p] = m;
          worst = best[k - 1];
        }
      }
    }
    return worst;
  }

  /** The point at tree position t (a view). */
  pointAt(t: number): Float64Array {
    return this.pts.subarray(t * this.d, (t + 1) * this.d);
  }

  /** Number of points p with max-norm ‖p − q‖∞ < r (strict), including q itself if present. */
  countWithin(q: Float64Array, r: number): number {
    const { d, pts, lo, hi, start, end, left, right, stack } = this;
    let count = 0;
    let top = 0;
    if (this.boxDist(0, q, r) < r) stack[top++] = 0;
    // Only nodes whose box is nearer than r are pushed.
    while (top > 0) {
      const node = stack[--top];
      const o = node * d;
      // Inside the open ball: q − lo < r and hi − q < r (the same rounding as |p − q| < r,
      // since floating subtraction is monotone).
      let inside = true;
      for (let j = 0; j < d && inside; j++) inside = q[j] - lo[o + j] < r && hi[o + j] - q[j] < r;
      if (inside) { count += end[node] - start[node]; continue; }
      const l = left[node];
      if (l >= 0) {
        const rt = right[node];
        if (this.boxDist(l, q, r) < r) stack[top++] = l;
        if (this.boxDist(rt, q, r) < r) stack[top++] = rt;
        continue;
      }
      const e = end[node];
      for (let t = start[node]; t < e; t++) {
        const po = t * d;
        let j = 0;
        for (; j < d; j++) if (!(Math.abs(pts[po + j] - q[j]) < r)) break;
        if (j === d) count++;
      }
    }
    return count;
  }
}

/** Quickselect: reorder order[s..e] so that order[k] has the k-th smallest coordinate `axis`. */
function select(data: ArrayLike<number>, order: Int32Array, s: number, e: number, k: number, d: number, axis: number): void {
  while (e > s) {
    const pivot = data[order[(s + e) >> 1] * d + axis];
    let i = s;
    let j = e;
    while (i <= j) {
      while (data[order[i] * d + axis] < pivot) i++;
      while (data[order[j] * d + axis] > pivot) j--;
      if (i <= j) {
        const t = order[i]; order[i] = order[j]; order[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) e = j;
    else if (k >= i) s = i;
    else return;
  }
}
