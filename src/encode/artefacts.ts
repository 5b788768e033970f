/**
 * The authors' and LLaVA's public artefacts the paper protocol needs, in the models cache next
 * to the encoders (`models.ts`), fetched at run time from their public sources and verified by
 * sha256 (never carried in this repository):
 * - `club`: the authors' pre-trained CLUB estimator, `estimator_ckpt/CLUB_global.pt` of
 *   deeplearning-wisc/mllmshift-emi (what `--estimator paper` resolves to);
 * - `lbwild-split`: the in-the-wild easy/hard index lists. The authors ship them as a pickle
 *   (`data/lbwild_split_idx_dict.pkl`) inside `data.zip`; it is read with the restricted
 *   unpickler (nothing executed), its `easy_ood_fst_cd_new` / `hard_ood_fst_cd_new` lists are
 *   checked against a sha256 of their canonical JSON and stored as `lbwild_split_idx.json`;
 * - `llava-rules`: LLaVA's `llava/eval/table/rule.json` and `llava/eval/eval_gpt_review_bench.py`
 *   (the judge's system line is read from the script), for `judge --protocol llava-bench`.
 * URLs are pinned to a commit: `<base>/<repo>/<commit>/<path>`, base
 * `$MLLMSHIFT_ARTEFACTS_BASE_URL` or https://raw.githubusercontent.com.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, RemoteError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { readPlainPickle } from '../io/torch-checkpoint.js';
import { ZipArchive } from '../io/zip.js';
import { defaultModelsDir, download } from './models.js';

export type ArtefactName = 'club' | 'lbwild-split' | 'llava-rules';

export interface ArtefactFile {
  /** Path inside the repository at `commit`. */
  readonly path: string;
  readonly sha256: string;
}

export interface ArtefactSpec {
  readonly name: ArtefactName;
  readonly title: string;
  readonly repo: string;
  readonly commit: string;
  /** Files downloaded (into `<models dir>/<repo>/<path>`). */
  readonly files: readonly ArtefactFile[];
  /** The file the program uses, relative to `<models dir>/<repo>`. */
  readonly product: string;
  /** lbwild-split: sha256 of the canonical JSON of the extracted lists. */
  readonly listsSha256?: string;
}

const AUTHORS = { repo: 'deeplearning-wisc/mllmshift-emi', commit: '80beb58f3911b8470973a96071226b09ed172893' };
const LLAVA = { repo: 'haotian-liu/LLaVA', commit: 'c121f0432da27facab705978f83c4ada465e46fd' };

export const ARTEFACTS: readonly ArtefactSpec[] = [
  {
    name: 'club',
    title: 'the authors\' CLUB estimator (CLUB_global.pt, 3.1 MB)',
    ...AUTHORS,
    files: [{ path: 'estimator_ckpt/CLUB_global.pt', sha256: '99ab062638de898356d087907b450d4cba755541eff49b877158c9b9b831b116' }],
    product: 'estimator_ckpt/CLUB_global.pt',
  },
  {
    name: 'lbwild-split',
    title: 'the authors\' in-the-wild easy/hard split index (from data.zip, 2.0 MB)',
    ...AUTHORS,
    files: [{ path: 'data.zip', sha256: 'c14e95f1e54b727d90c0ececde9a17c0fc626ab7dbd9e744bb7c1f89a1d9971c' }],
    product: 'lbwild_split_idx.json',
    listsSha256: '14f06ce2f52e14b17b00e3fcaa83457e610f8346c39f361984d56ce4ba68e2c5',
  },
  {
    name: 'llava-rules',
    title: 'LLaVA\'s judge rules and review script (rule.json, eval_gpt_review_bench.py)',
    ...LLAVA,
    files: [
      { path: 'llava/eval/table/rule.json', sha256: 'dd7345a44ce9f7a24e51a30ee030cdab32346f9d08e3359c80545ff1312b1e07' },
      { path: 'llava/eval/eval_gpt_review_bench.py', sha256: 'fd6a2c3ed99b0b2881e056160c03aab17f7ea5879b9e03fd993381b4d47e63f2' },
    ],
    product: 'llava/eval/table/rule.json',
  },
];

export const ARTEFACT_NAMES = ARTEFACTS.map((a) => a.name);

export function artefactSpec(name: string): ArtefactSpec {
  const s = ARTEFACTS.find((a) => a.name === name);
  if (!s) throw new InputError(`unknown artefact "${name}" (known: ${ARTEFACT_NAMES.join(', ')})`);
  return s;
}

export function artefactBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.MLLMSHIFT_ARTEFACTS_BASE_URL || 'https://raw.githubusercontent.com').replace(/\/+$/, '');
}

export function artefactUrl(spec: ArtefactSpec, file: ArtefactFile, base = artefactBaseUrl()): string {
  return `${base}/${spec.repo}/${spec.commit}/${file.path}`;
}

/** Where a file of an artefact lives in the models cache. */
export function artefactPath(spec: ArtefactSpec, relative: string, modelDir = defaultModelsDir()): string {
  return join(modelDir, spec.repo, relative);
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** The two index lists the authors' code uses, as canonical JSON (keys sorted, no spaces). */
function canonicalLists(easy: readonly number[], hard: readonly number[]): string {
  return JSON.stringify({ easy_ood_fst_cd_new: easy, hard_ood_fst_cd_new: hard });
}

const SPLIT_PICKLE = 'data/lbwild_split_idx_dict.pkl';

/** Reads the split lists out of the authors' data.zip (restricted unpickler) and checks them. */
function extractSplit(spec: ArtefactSpec, zipPath: string): string {
  const zip = ZipArchive.open(zipPath, readFileSync(zipPath));
  const where = `${zipPath}: ${SPLIT_PICKLE}`;
  const root = readPlainPickle(where, zip.read(SPLIT_PICKLE), 'the authors\' split index (a dict of index lists)');
  if (!(root instanceof Map)) throw new InputError(`${where}: expected a dict of index lists`);
  const list = (key: string): number[] => {
    const v = root.get(key);
    if (!Array.isArray(v) || !v.every((x) => Number.isSafeInteger(x) && x >= 0)) throw new InputError(`${where}: "${key}" must be a list of row indices`);
    return v as number[];
  };
  const text = canonicalLists(list('easy_ood_fst_cd_new'), list('hard_ood_fst_cd_new'));
  if (spec.listsSha256 !== undefined && sha256(text) !== spec.listsSha256) {
    throw new RemoteError(`${where}: the split lists' sha256 is ${sha256(text)}, expected ${spec.listsSha256}; not stored`);
  }
  return text;
}

export interface PulledArtefact {
  readonly name: ArtefactName;
  readonly path: string;
  readonly status: 'downloaded' | 'present';
}

export interface ArtefactPullOptions {
  readonly modelDir?: string;
  readonly baseUrl?: string;
  readonly force?: boolean;
  readonly progress?: boolean;
  readonly fetch?: typeof fetch;
}

/** What to do by hand when the machine cannot reach the source. */
function byHand(spec: ArtefactSpec, url: string, dest: string): string {
  return `without internet access, fetch ${url} by hand, save it as ${dest}, and run \`mllmshift models pull --only ${spec.name}\` again (it verifies the sha256 and finishes offline)`;
}

/**
 * Downloads an artefact's files into the models cache (a file already there with the right
 * sha256 is kept; one with another sha256 is refused unless `force`), then builds its product.
 */
export async function pullArtefact(spec: ArtefactSpec, opts: ArtefactPullOptions = {}): Promise<PulledArtefact> {
  const modelDir = opts.modelDir ?? defaultModelsDir();
  const product = artefactPath(spec, spec.product, modelDir);
  let downloaded = false;
  for (const file of spec.files) {
    const dest = artefactPath(spec, file.path, modelDir);
    const url = artefactUrl(spec, file, opts.baseUrl ?? artefactBaseUrl());
    if (!opts.force && existsSync(dest)) {
      const have = sha256(readFileSync(dest));
      if (have === file.sha256) continue;
      throw new InputError(`${dest}: sha256 is ${have}, expected ${file.sha256} (the file at ${url}); delete it, or rerun with --force`);
    }
    await download(url, dest, { sha256: file.sha256, progress: opts.progress, fetch: opts.fetch, offlineHint: byHand(spec, url, dest) }, false);
    downloaded = true;
  }
  if (spec.listsSha256 !== undefined) {
    const text = extractSplit(spec, artefactPath(spec, spec.files[0].path, modelDir));
    mkdirSync(dirname(product), { recursive: true });
    writeFileAtomic(product, `${text}\n`);
  }
  return { name: spec.name, path: product, status: downloaded ? 'downloaded' : 'present' };
}

/** The artefact's product in the cache, or undefined when it has not been pulled. */
export function findArtefact(spec: ArtefactSpec, modelDir?: string): string | undefined {
  const p = artefactPath(spec, spec.product, modelDir);
  return existsSync(p) && spec.files.every((f) => existsSync(artefactPath(spec, f.path, modelDir))) ? p : undefined;
}

/** The artefact's product, or an InputError saying how to get it. */
export function requireArtefact(spec: ArtefactSpec, modelDir?: string): string {
  const found = findArtefact(spec, modelDir);
  if (found) return found;
  const files = spec.files.map((f) => `${artefactUrl(spec, f)} → ${artefactPath(spec, f.path, modelDir)}`).join('; ');
  throw new InputError(
    `${spec.title} is not in the models cache; run \`mllmshift models pull --only ${spec.name}${modelDir ? ` --model-dir ${modelDir}` : ''}\`, or download ${files} and run that command to verify it`,
  );
}

/** `--estimator paper` → the pulled CLUB_global.pt; anything else is a path, returned as is. */
export function resolveEstimatorPath(value: string, modelDir?: string): string {
  return value === 'paper' ? requireArtefact(artefactSpec('club'), modelDir) : value;
}

/** The system line LLaVA's review script sends (read from the pulled script). */
export function llavaSystemLine(scriptPath: string): string {
  const text = readFileSync(scriptPath, 'utf8');
  const m = /'role':\s*'system',\s*'content':\s*'([^'\\]*)'/.exec(text);
  if (!m) throw new InputError(`${scriptPath}: no system message found (expected LLaVA's eval_gpt_review_bench.py)`);
  return m[1];
}

/** The pulled LLaVA rule file and system line, for `--protocol llava-bench`. */
export function llavaRulesFiles(modelDir?: string): { rules: string; system: string } {
  const spec = artefactSpec('llava-rules');
  const rules = requireArtefact(spec, modelDir);
  return { rules, system: llavaSystemLine(artefactPath(spec, spec.files[1].path, modelDir)) };
}
