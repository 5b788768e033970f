/**
 * Power for EMID from a pilot run (core/power.ts, normal approximation): each OOD scenario's
 * standard error is read off its bootstrap 95 % interval, SE = (hi − lo)/(2·z_0.975), and
 * scaled as 1/√n. Per scenario: the smallest EMID detectable with the target power at the
 * pilot's n, the n needed to detect a given EMID, and the power at the pilot's n.
 */
import jStat from 'jstat';
import { minimumDetectableEffect, powerAt, requiredSampleSize } from '../core/power.js';
import { InputError } from '../errors.js';
import type { RunResults } from '../report/run-results.js';

export interface PowerAnalysisOptions {
  /** EMID to detect; default each scenario's own |EMID| in the pilot. */
  readonly effect?: number;
  readonly alpha?: number;
  readonly power?: number;
}

export interface ScenarioPower {
  readonly name: string;
  readonly n: number;
  readonly emid: number;
  /** Bootstrap standard error of EMID at the pilot's n. */
  readonly se: number;
  /** Smallest |EMID| detected with the target power at n. */
  readonly minimumDetectable: number;
  /** The |EMID| the next two fields are for. */
  readonly effect: number;
  /** Samples per scenario needed to detect `effect` with the target power (null when effect is 0). */
  readonly requiredN: number | null;
  /** Power at n for `effect`. */
  readonly powerAtN: number;
}

export interface PowerAnalysis {
  readonly alpha: number;
  readonly power: number;
  readonly effect: number | null;
  readonly scenarios: readonly ScenarioPower[];
}

/** Power per OOD scenario of a pilot's results; `file` names the source in errors. */
export function powerAnalysis(r: RunResults, file: string, options: PowerAnalysisOptions = {}): PowerAnalysis {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  const z = jStat.normal.inv(0.975, 0, 1);
  const ood = r.scenarios.filter((s) => s.emid !== null);
  const usable = ood.filter((s) => s.emidCi95 !== null && s.emidCi95[1] > s.emidCi95[0] && s.n > 0);
  if (usable.length === 0) {
    throw new InputError(`${file}: no OOD scenario has an EMID interval and a sample count; run the pilot with intervals (emid --bootstrap B, or analysis.bootstrap in the run config)`);
  }
  const scenarios = usable.map((s): ScenarioPower => {
    const [lo, hi] = s.emidCi95 as readonly [number, number];
    const se = (hi - lo) / (2 * z);
    const emid = s.emid as number;
    const effect = Math.abs(options.effect ?? emid);
    return {
      name: s.name,
      n: s.n,
      emid,
      se,
      minimumDetectable: minimumDetectableEffect(se, { alpha, power }),
      effect,
      requiredN: effect > 0 ? requiredSampleSize(se, s.n, effect, { alpha, power }) : null,
      powerAtN: powerAt(effect, se, alpha),
    };
  });
  return { alpha, power, effect: options.effect ?? null, scenarios };
}
