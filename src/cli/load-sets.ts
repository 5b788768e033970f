/**
 * Loading embedding sets and the estimator for the estimating commands, with the checks that
 * belong to the command line (distinct names, dimensions that fit the estimator).
 */
import { InputError } from '../errors.js';
import { readEmbeddingSet, type EmbeddingSet } from '../io/embedding-set.js';
import { loadClubCheckpoint, type ClubCheckpoint } from '../io/estimator-checkpoint.js';
import { checkSetAgainstEstimator } from '../pipeline/estimate.js';

export function loadSets(paths: readonly string[], checkpoint: ClubCheckpoint, seen = new Map<string, string>()): EmbeddingSet[] {
  const sets: EmbeddingSet[] = [];
  for (const p of paths) {
    const s = readEmbeddingSet(p);
    const prev = seen.get(s.name);
    if (prev !== undefined) throw new InputError(`${p}: set name "${s.name}" is also the name of ${prev}; results are keyed by file name, so names must differ`);
    seen.set(s.name, p);
    checkSetAgainstEstimator(s, checkpoint.network, checkpoint.path);
    sets.push(s);
  }
  return sets;
}

export { loadClubCheckpoint };
