/**
 * Row weights for the Bayesian bootstrap (Rubin 1981): each replicate draws weights
 * w ~ n·Dirichlet(1, …, 1) over the rows of a set and recomputes the statistic with those
 * weights (clubFromMoments and representationJsd take row weights). Unlike resampling with
 * replacement it never duplicates a row, which matters for the representation JSD: with n < d
 * a duplicated row lowers the rank of AᵀA and shifts the entropy, so an ordinary bootstrap
 * would be biased; weights keep the rank. Asymptotically it is equivalent to the ordinary
 * bootstrap.
 */
import type { Rng } from './random.js';

/** n weights with mean 1: w_i = n·E_i/ΣE, E_i ~ Exp(1). */
export function dirichletWeights(rng: Rng, n: number): Float64Array {
  const w = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    let u = 0;
    while (u === 0) u = rng.next();
    w[i] = -Math.log(u);
    s += w[i];
  }
  for (let i = 0; i < n; i++) w[i] *= n / s;
  return w;
}
