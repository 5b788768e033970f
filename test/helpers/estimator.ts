/**
 * A stand-in for CLUB_global.pt with the paper's shapes (768 → 250 → 768, tanh-bounded
 * log-variance), torch-default initialised from a seed, for tests that need some estimator of
 * that shape but not the authors' trained weights.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clubNetworkFromParams, initClubParams, type ClubShape } from '../../src/core/estimators/club-train.js';
import { Rng } from '../../src/core/random.js';
import { saveClubCheckpoint } from '../../src/io/estimator-checkpoint.js';
import { torchCheckpoint } from './torch-pickle.js';

const PAPER_SHAPE: ClubShape = { dx: 768, dy: 768, hidden: 250, boundedLogvar: true };
const NAMES = ['p_mu.0.weight', 'p_mu.0.bias', 'p_mu.2.weight', 'p_mu.2.bias', 'p_logvar.0.weight', 'p_logvar.0.bias', 'p_logvar.2.weight', 'p_logvar.2.bias'];

/**
 * Writes `dir/seeded-club.safetensors` (or `.pt`, a PyTorch zip checkpoint like the authors'),
 * or `dir/<name>` when a file name is given, and returns its path.
 */
export function writeSeededClub(dir: string, format: 'safetensors' | 'pt' = 'safetensors', seed = 7, name = `seeded-club.${format}`): string {
  const params = initClubParams(PAPER_SHAPE, new Rng(seed));
  const path = join(dir, name);
  if (format === 'safetensors') {
    saveClubCheckpoint(path, clubNetworkFromParams(params, PAPER_SHAPE), { source: 'test seed' });
    return path;
  }
  const { dx, dy, hidden } = PAPER_SHAPE;
  const shapes = [[hidden, dx], [hidden], [dy, hidden], [dy], [hidden, dx], [hidden], [dy, hidden], [dy]];
  writeFileSync(path, torchCheckpoint(Object.fromEntries(NAMES.map((n, k) => [n, { shape: shapes[k], data: Float32Array.from(params[k]) }]))));
  return path;
}
