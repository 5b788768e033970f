/**
 * The estimator registry: every estimator by name, made from a plain parameter object (as the
 * command line's `--param k=v` gives it).
 */
import { clubEstimator, CLUB_ESTIMATOR_DEFAULTS, type ClubEstimatorHooks } from './club.js';
import { criticDefaults, criticEstimator, criticParamsShown, type CriticObjective } from './critics.js';
import { gaussianEstimator, GAUSSIAN_DEFAULTS } from './gaussian.js';
import { ksgEstimator, KSG_DEFAULTS, type KsgEstimatorHooks } from './ksg.js';
import type { MiEstimator } from './types.js';

export const ESTIMATOR_NAMES = ['gaussian', 'ksg', 'infonce', 'nwj', 'mine', 'smile', 'club'] as const;
export type EstimatorName = (typeof ESTIMATOR_NAMES)[number];

export type ParamValue = number | string | boolean;

/** Default parameters of each estimator (their keys are the accepted parameter names). */
export function estimatorDefaults(name: EstimatorName): Record<string, ParamValue> {
  switch (name) {
    case 'gaussian': return { ...GAUSSIAN_DEFAULTS };
    case 'ksg': return { ...KSG_DEFAULTS };
    case 'club': return { ...CLUB_ESTIMATOR_DEFAULTS };
    default: return criticParamsShown(name, criticDefaults(name));
  }
}

export function isEstimatorName(s: string): s is EstimatorName {
  return (ESTIMATOR_NAMES as readonly string[]).includes(s);
}

/** Injected implementations (accel/ has them): CLUB's training backend and forward, KSG's runner. */
export type EstimatorHooks = ClubEstimatorHooks & KsgEstimatorHooks;

/**
 * Make an estimator. Unknown parameter names and values of the wrong type are errors naming
 * the accepted keys.
 */
export function makeEstimator(name: EstimatorName, params: Record<string, ParamValue> = {}, hooks: EstimatorHooks = {}): MiEstimator {
  const defaults = estimatorDefaults(name);
  for (const [k, v] of Object.entries(params)) {
    if (!(k in defaults)) throw new RangeError(`${name}: unknown parameter "${k}"; accepted: ${Object.keys(defaults).join(', ')}`);
    const want = typeof defaults[k];
    const ok = typeof v === want || (name === 'gaussian' && k === 'shrinkage' && v === 'ledoit-wolf');
    if (!ok) throw new RangeError(`${name}: parameter "${k}" must be a ${want}, got ${JSON.stringify(v)}`);
  }
  switch (name) {
    case 'gaussian': return gaussianEstimator(params as never);
    case 'ksg': return ksgEstimator(params as never, hooks);
    case 'club': return clubEstimator(params as never, hooks);
    default: return criticEstimator(name as CriticObjective, params as never);
  }
}

export * from './types.js';
export * from './gaussian.js';
export * from './ksg.js';
export * from './kdtree.js';
export * from './critics.js';
export * from './club.js';
export * from './club-train.js';
export * from './tasks.js';
export * from './standardize.js';
export * from './special.js';
export { Adam, mlp, mlpForward, mlpBackward, type Mlp, type Activation } from './mlp.js';
