/**
 * Loading embedding sets and the estimator for the estimating commands, with the checks that
 * belong to the command line (distinct names, dimensions that fit the estimator).
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { readEmbeddingSet, type EmbeddingSet } from '../io/embedding-set.js';
import { loadClubCheckpoint, type ClubCheckpoint } from '../io/estimator-checkpoint.js';
import { checkSetAgainstEstimator } from '../pipeline/estimate.js';

export function loadSets(
  paths: readonly string[],
  checkpoint: ClubCheckpoint,
  seen = new Map<string, string>(),
  options: { readonly allowEncoderMismatch?: boolean } = {},
): EmbeddingSet[] {
  const sets: EmbeddingSet[] = [];
  for (const p of paths) {
    const s = readEmbeddingSet(p);
    const prev = seen.get(s.name);
    if (prev !== undefined) throw new InputError(`${p}: set name "${s.name}" is also the name of ${prev}; results are keyed by file name, so names must differ`);
    seen.set(s.name, p);
    checkSetAgainstEstimator(s, checkpoint, options);
    sets.push(s);
  }
  return sets;
}

/** The canonical path of a file (symlinks resolved); the absolute path when it does not exist. */
function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * The --ood paths without the --id file: a glob such as `emb/*_*.safetensors` may match the ID
 * set too. Says so once on stderr; an --ood list of nothing but the ID file is bad input.
 */
export function oodWithoutId(id: string, ood: readonly string[], warn: (line: string) => void): string[] {
  const idPath = canonical(id);
  const kept = ood.filter((p) => canonical(p) !== idPath);
  if (kept.length === ood.length) return kept;
  if (kept.length === 0) throw new InputError(`--ood names only the --id file ${id}; give at least one OOD embedding set`);
  warn(`emid: --ood also names the --id file ${id}; it is left out of the OOD sets`);
  return kept;
}

export { loadClubCheckpoint };
