/**
 * Eigenvalues of a real symmetric matrix, float64, values only:
 * Householder reduction to tridiagonal form followed by the implicit QL algorithm with
 * Wilkinson-style shifts (Wilkinson & Reinsch, Handbook for Automatic Computation II, tql1;
 * Golub & Van Loan §8.3). (4/3)·n³ flops for the reduction, O(n²) for QL.
 *
 * Input is the row-major n×n matrix; only its lower triangle is read. The input is not modified.
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new RangeError(`symmetricEigenvalues: expected ${n * n} values, got ${a.length}`);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return d;
  if (n === 1) {
    d[0] = a[0];
    return d;
  }
  const z = Float64Array.from(a);
  tridiagonalize(z, n, d, e);
  tql1(d, e, n);
  return d;
}

/**
 * Householder tridiagonalisation, values only (the lower variant of LAPACK's dsytd2, Golub &
 * Van Loan §8.3.1): for i = 0..n−3 a reflector H = I − τ·v·vᵀ annihilates A[i+2:, i], and the
 * trailing block is updated as A₂₂ ← A₂₂ − v·wᵀ − w·vᵀ with p = τ·A₂₂·v, w = p − (τ/2)(pᵀv)·v.
 * Only the lower triangle is read and written, always along rows (contiguous memory): the
 * symmetric product A₂₂·v walks each row once and scatters its transpose contribution.
 * On return d is the diagonal and e[k] the sub-diagonal entry between k and k+1.
 */
function tridiagonalize(a: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let i = 0; i < n - 2; i++) {
    const m = n - i - 1;
    const alpha = a[(i + 1) * n + i];
    let xnorm2 = 0;
    for (let k = i + 2; k < n; k++) xnorm2 += a[k * n + i] * a[k * n + i];
    d[i] = a[i * n + i];
    if (xnorm2 === 0) {
      e[i] = alpha;
      continue;
    }
    const beta = alpha >= 0 ? -Math.sqrt(alpha * alpha + xnorm2) : Math.sqrt(alpha * alpha + xnorm2);
    const tau = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    v[0] = 1;
    for (let k = 1; k < m; k++) v[k] = a[(i + 1 + k) * n + i] * scale;
    e[i] = beta;
    // p = τ·A₂₂·v from the lower triangle, row by row.
    p.fill(0, 0, m);
    for (let r = 0; r < m; r++) {
      const row = (i + 1 + r) * n + i + 1;
      const vr = v[r];
      let s = 0;
      for (let c = 0; c < r; c++) {
        const x = a[row + c];
        s += x * v[c];
        p[c] += x * vr;
      }
      p[r] += s + a[row + r] * vr;
    }
    let pv = 0;
    for (let k = 0; k < m; k++) {
      p[k] *= tau;
      pv += p[k] * v[k];
    }
    const half = 0.5 * tau * pv;
    for (let k = 0; k < m; k++) p[k] -= half * v[k];
    // A₂₂ ← A₂₂ − v·wᵀ − w·vᵀ (w is now in p), lower triangle.
    for (let r = 0; r < m; r++) {
      const row = (i + 1 + r) * n + i + 1;
      const vr = v[r];
      const wr = p[r];
      for (let c = 0; c <= r; c++) a[row + c] -= vr * p[c] + wr * v[c];
    }
  }
  d[n - 2] = a[(n - 2) * n + n - 2];
  e[n - 2] = a[(n - 1) * n + n - 2];
  d[n - 1] = a[(n - 1) * n + n - 1];
  e[n - 1] = 0;
}

/** Implicit QL on a symmetric tridiagonal matrix (d diagonal, e[k] between k and k+1). */
function tql1(d: Float64Array, e: Float64Array, n: number): void {
  // Deflate when an off-diagonal entry is below ε·‖T‖: by Weyl's inequality this moves every
  // eigenvalue by at most ε‖T‖, the same order as the backward error of the Householder
  // reduction. (A purely relative test, |e| ≤ ε(|d_m| + |d_m+1|), can stall on clusters of
  // near-zero eigenvalues, as rank-deficient Gram matrices of repeated rows produce.)
  let anorm = 0;
  for (let i = 0; i < n; i++) anorm = Math.max(anorm, Math.abs(d[i]) + Math.abs(e[i]));
  const tol = Number.EPSILON * anorm;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        if (Math.abs(e[m]) <= tol) break;
      }
      if (m !== l) {
        if (iter++ === 60) throw new Error('symmetricEigenvalues: QL iteration did not converge');
        let g = (d[l + 1] - d[l]) / (2 * e[l]);
        let r = Math.hypot(g, 1);
        g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1;
        let c = 1;
        let p = 0;
        let i: number;
        for (i = m - 1; i >= l; i--) {
          let f = s * e[i];
          const b = c * e[i];
          // sqrt rather than Math.hypot (several times slower in V8); entries here are far from overflow.
          r = Math.sqrt(f * f + g * g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1] -= p;
            e[m] = 0;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1] - p;
          r = (d[i] - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
          f = 0;
        }
        if (r === 0 && i >= l) continue;
        d[l] -= p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
}
