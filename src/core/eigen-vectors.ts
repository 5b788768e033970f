/**
 * Eigenvalues AND eigenvectors of a real symmetric matrix (float64), by the cyclic Jacobi
 * method (Golub & Van Loan §8.5.3): rotations zero each off-diagonal pair in turn until the
 * off-diagonal mass is below 1e-22 of the total (quadratic convergence, typically 6–10
 * sweeps). Accurate to working precision for the small (≤ a few hundred) Gram matrices it
 * serves; `eigen.ts` is the faster values-only solver used everywhere vectors are not needed.
 *
 * Input row-major n×n (only symmetric input is meaningful; it is not modified). Returns the
 * values unsorted and the vectors as the columns of a row-major n×n matrix: A·V = V·diag(λ).
 */
export function symmetricEigen(a: Float64Array, n: number, maxSweeps = 60): { values: Float64Array; vectors: Float64Array } {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: expected ${n * n} values, got ${a.length}`);
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let k = 0; k < m.length; k++) total += m[k] * m[k];
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] * m[p * n + q];
    if (!(off > 1e-22 * total)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p];
          const akq = m[k * n + q];
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k];
          const aqk = m[q * n + k];
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i];
  return { values, vectors: v };
}
