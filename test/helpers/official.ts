/**
 * The authors' released artefacts (CLUB_global.pt, their result files, their answer files) for
 * the tests that check against them. They are looked up in MLLMSHIFT_OFFICIAL_DIR, else in
 * ../shared/fixtures/official beside the clone (where CI keeps them). A test that needs missing
 * files is skipped with one line naming them and how to get them; no other test reads them.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OFFICIAL_DIR = resolve(process.env.MLLMSHIFT_OFFICIAL_DIR || fileURLToPath(new URL('../../../shared/fixtures/official', import.meta.url)));

/** Path of an official artefact, relative to the official folder (e.g. `results/pairs-….json`). */
export function officialPath(rel: string): string {
  return join(OFFICIAL_DIR, rel);
}

export const CLUB_GLOBAL = officialPath('CLUB_global.pt');

/**
 * The node:test options of a test that reads these official files: `{ skip: reason }` when any
 * is missing, `{}` otherwise.
 */
export function needsOfficial(...rels: string[]): { skip?: string } {
  const missing = rels.filter((r) => !existsSync(officialPath(r)));
  if (missing.length === 0) return {};
  const how = missing.includes('CLUB_global.pt')
    ? 'get CLUB_global.pt with `mllmshift models pull --only club` and'
    : 'get them from the authors\' repository (github.com/deeplearning-wisc/mllmshift-emi) and';
  return { skip: `the authors' ${missing.join(', ')} not in ${OFFICIAL_DIR}: ${how} set MLLMSHIFT_OFFICIAL_DIR to the folder holding them` };
}
