/**
 * The in-the-wild source of the natural grid (DESIGN.md §3) with its easy/hard halves, from the
 * authors' index lists (`lbwild_split_idx.json`: row indices, which are the in-the-wild
 * question ids) or from the embedding distance to the ID set (`splits.ts`). Used by `shift`
 * and `run`.
 */
import { InputError } from '../errors.js';
import type { Matrix } from '../core/matrix.js';
import type { Sample } from '../data/sample.js';
import { readSplitIndices, type SplitIndexVariant } from '../data/responses.js';
import type { WildSource } from './generate.js';
import { splitByDistance, type SplitReference } from './splits.js';

/** Without halves (only `_normal` scenarios are asked for). */
export function wildWithoutHalves(samples: readonly Sample[], label: string): WildSource {
  return { samples, label, easy: [], hard: [], splitRule: { method: 'none (normal only)' } };
}

/** Halves from the authors' index lists (keys `easy_ood_<variant>`, `hard_ood_<variant>`). */
export function wildFromIndex(samples: readonly Sample[], label: string, file: string, variant: SplitIndexVariant = 'fst_cd_new'): WildSource {
  const ids = new Set(samples.map((s) => s.id));
  const [easy, hard] = (['easy', 'hard'] as const).map((h) => {
    const idx = readSplitIndices(file, h, variant).map(String);
    const missing = idx.find((i) => !ids.has(i));
    if (missing !== undefined) throw new InputError(`${file}: ${h} index ${missing} is not a sample id of ${label}`);
    return idx;
  });
  return { samples, label, easy, hard, splitRule: { method: 'index list', file, keys: [`easy_ood_${variant}`, `hard_ood_${variant}`] } };
}

/**
 * Halves by the cosine distance of each in-the-wild query embedding x = (z_v + z_t)/2 (E6) to
 * the ID set's: the nearer ⌊n/2⌋ are easy. `rowIds[i]` is the sample id of row i of `ood`.
 */
export function wildByDistance(
  samples: readonly Sample[], label: string, ood: Matrix, rowIds: readonly string[], id: Matrix, reference: SplitReference,
  recorded: Readonly<Record<string, unknown>>,
): WildSource {
  if (rowIds.length !== ood.rows) throw new InputError(`${label}: ${ood.rows} embedding rows but ${rowIds.length} sample ids`);
  const split = splitByDistance(ood, id, reference);
  return {
    samples,
    label,
    easy: split.easy.map((i) => rowIds[i]),
    hard: split.hard.map((i) => rowIds[i]),
    splitRule: { method: 'cosine distance of x = (z_v + z_t)/2 to the ID set', reference, easy: 'nearest floor(n/2)', ...recorded },
  };
}
