/**
 * Multiplicity adjustments for the per-scenario p-values of a run (EMID ≠ 0 under permutation,
 * judge differences): adjusted p-values in the input order, as R's p.adjust.
 */

function checkPValues(p: ArrayLike<number>): void {
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0 && p[i] <= 1)) throw new RangeError(`p-value ${i} is ${p[i]}, expected a number in [0, 1]`);
  }
}

/** Indices that sort p ascending (stable). */
function ascending(p: ArrayLike<number>): number[] {
  return Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a] - p[b] || a - b);
}

/**
 * Holm's step-down adjustment (Holm 1979), controls the family-wise error rate:
 * p̃_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)) over the ascending order.
 */
export function holmAdjust(p: ArrayLike<number>): Float64Array {
  checkPValues(p);
  const m = p.length;
  const order = ascending(p);
  const out = new Float64Array(m);
  let running = 0;
  for (let j = 0; j < m; j++) {
    running = Math.max(running, Math.min(1, (m - j) * p[order[j]]));
    out[order[j]] = running;
  }
  return out;
}

/**
 * Benjamini–Hochberg step-up adjustment (1995), controls the false discovery rate:
 * p̃_(i) = min_{j ≥ i} min(1, m/j·p_(j)) over the ascending order.
 */
export function benjaminiHochbergAdjust(p: ArrayLike<number>): Float64Array {
  checkPValues(p);
  const m = p.length;
  const order = ascending(p);
  const out = new Float64Array(m);
  let running = 1;
  for (let j = m - 1; j >= 0; j--) {
    running = Math.min(running, (m / (j + 1)) * p[order[j]]);
    out[order[j]] = running;
  }
  return out;
}

export interface AdjustedPValues {
  readonly holm: (number | null)[];
  readonly bh: (number | null)[];
}

/**
 * Holm and BH over the p-values that are present: a null (no test for that scenario) is left
 * out of the family and stays null, so m counts only the tests actually made.
 */
export function adjustPresent(p: readonly (number | null)[]): AdjustedPValues {
  const at = p.flatMap((v, i) => (v === null ? [] : [i]));
  const present = at.map((i) => p[i] as number);
  const holm = holmAdjust(present);
  const bh = benjaminiHochbergAdjust(present);
  const out: AdjustedPValues = { holm: p.map(() => null), bh: p.map(() => null) };
  at.forEach((i, k) => {
    out.holm[i] = holm[k];
    out.bh[i] = bh[k];
  });
  return out;
}
