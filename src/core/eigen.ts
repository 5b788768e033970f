/**
 * Eigenvalues of a real symmetric matrix, float64, values only:
 * Householder reduction to tridiagonal form followed by the implicit QL algorithm with
 * Wilkinson-style shifts (Wilkinson & Reinsch, Handbook for Automatic Computation II, tred2/tql1;
 * Numerical Recipes §11.2–11.3). O(n³) for the reduction, O(n²) for QL.
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
 * Householder tridiagonalisation (values only). On return d holds the diagonal and e the
 * sub-diagonal in e[1..n-1] (e[0] = 0). Works in place on z (lower triangle, row-major).
 */
function tridiagonalize(z: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    const ri = i * n;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(z[ri + k]);
      if (scale === 0) {
        e[i] = z[ri + l];
      } else {
        for (let k = 0; k <= l; k++) {
          z[ri + k] /= scale;
          h += z[ri + k] * z[ri + k];
        }
        let f = z[ri + l];
        const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        z[ri + l] = f - g;
        f = 0;
        for (let j = 0; j <= l; j++) {
          const rj = j * n;
          // g = (A·u)_j using the lower triangle only.
          let gg = 0;
          for (let k = 0; k <= j; k++) gg += z[rj + k] * z[ri + k];
          for (let k = j + 1; k <= l; k++) gg += z[k * n + j] * z[ri + k];
          e[j] = gg / h;
          f += e[j] * z[ri + j];
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          const fj = z[ri + j];
          const gj = (e[j] -= hh * fj);
          const rj = j * n;
          for (let k = 0; k <= j; k++) z[rj + k] -= fj * e[k] + gj * z[ri + k];
        }
      }
    } else {
      e[i] = z[ri + l];
    }
    d[i] = h;
  }
  e[0] = 0;
  // Values only: the diagonal of the reduced matrix.
  for (let i = 0; i < n; i++) d[i] = z[i * n + i];
}

/** Implicit QL on a symmetric tridiagonal matrix (d diagonal, e sub-diagonal in e[1..]). */
function tql1(d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
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
          r = Math.hypot(f, g);
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
