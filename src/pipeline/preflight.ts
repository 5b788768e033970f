/**
 * The preflight of `mllmshift run` (and all of `run --check`): everything local is checked
 * before the first paid request — every data set loads and every sample's image is readable,
 * the paper encoders are on disk, the estimator checkpoint exists, the output folder is
 * writable, every base_url is well formed — and then each endpoint the study uses answers one
 * free `GET {base_url}/models`. Local problems are ConfigErrors (exit 2) naming the config
 * file and field; an unreachable or refusing endpoint is a RemoteError (exit 1) naming it.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, MllmshiftError, RemoteError } from '../errors.js';
import { loadDataset, readImageBytes } from '../data/load.js';
import { parseScenario, scenarioGrid, type Scenario } from '../data/scenarios.js';
import type { Sample } from '../data/sample.js';
import { findModel, missingModelError, modelSpec } from '../encode/models.js';
import { resolveEstimatorPath } from '../encode/artefacts.js';
import { apiKeyFromEnv, parseBaseUrl } from '../llm/client.js';
import type { DataSource, ResolvedRunConfig } from './config.js';

/** The scenarios a configuration asks for (data.scenarios), ID first when it is not named. */
export function wantedScenarios(config: ResolvedRunConfig): Scenario[] {
  const spec = config.data.scenarios;
  if (!spec) return [];
  const wanted = 'grid' in spec ? scenarioGrid(spec.grid) : spec.names.map((n) => parseScenario(n));
  if (!wanted.some((s) => s.name === config.data.id_name)) wanted.unshift(parseScenario(config.data.id_name));
  return wanted;
}

export interface PreflightEndpoint {
  /** The config field of the endpoint, e.g. `judge`. */
  readonly field: string;
  readonly base_url: string;
  readonly api_key_env?: string;
  readonly timeout_s: number;
}

export interface PreflightReport {
  /** Data sets checked (config field → samples whose images were read). */
  readonly datasets: readonly { readonly field: string; readonly samples: number }[];
  /** Endpoints probed with GET /models. */
  readonly endpoints: readonly string[];
}

/** Rethrow a local failure as one line naming the config file and field. */
async function local<T>(config: ResolvedRunConfig, field: string, f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof MllmshiftError && !(e instanceof RemoteError)) throw new ConfigError(`${config.configPath}: ${field}: ${e.message}`);
    throw e;
  }
}

/** The endpoints the study will call: model, reference model, judge, translation. */
export function studyEndpoints(config: ResolvedRunConfig): PreflightEndpoint[] {
  const out: PreflightEndpoint[] = [{ field: 'model', ...config.model }];
  if (config.references.source === 'model') out.push({ field: 'references.model', ...config.references.model });
  if (config.judge) out.push({ field: 'judge', ...config.judge });
  const t = config.translation;
  if (t?.base_url !== undefined) out.push({ field: 'translation', base_url: t.base_url, api_key_env: t.api_key_env, timeout_s: t.timeout_s });
  return out;
}

/** The data sets the study reads, by config field. */
function studyDatasets(config: ResolvedRunConfig): { field: string; source: DataSource }[] {
  const out: { field: string; source: DataSource }[] = [{ field: 'data.id', source: config.data.id }];
  if (config.data.parquet !== undefined) {
    for (const s of wantedScenarios(config)) if (s.name !== config.data.id_name) out.push({ field: `data.scenarios (split ${s.name} of data.parquet)`, source: { path: config.data.parquet, split: s.name } });
  } else if (config.data.wild && wantedScenarios(config).some((s) => s.base === 'llava_bench_in_the_wild')) {
    out.push({ field: 'data.wild', source: config.data.wild });
  }
  for (const [name, source] of Object.entries(config.data.ood)) out.push({ field: `data.ood.${name}`, source });
  return out;
}

/** The nearest existing folder at or above `path`, which must be writable for the output. */
function checkWritable(path: string): void {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  if (!statSync(p).isDirectory()) throw new ConfigError(`${p}: exists and is not a folder`);
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
  } catch {
    throw new ConfigError(`${p}: the folder is not writable`);
  }
}

/** One free request: any HTTP answer but 401/403 means reachable (404/405: no /models route). */
async function probe(config: ResolvedRunConfig, e: PreflightEndpoint): Promise<void> {
  const { baseURL, query, azure } = await local(config, `${e.field}.base_url`, () => parseBaseUrl(e.base_url));
  const key = e.api_key_env ? await local(config, `${e.field}.api_key_env`, () => apiKeyFromEnv(e.api_key_env as string, true)) : undefined;
  const url = new URL(`${baseURL}/models`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const headers: Record<string, string> = key ? (azure ? { 'api-key': key } : { authorization: `Bearer ${key}` }) : {};
  const where = `${config.configPath}: ${e.field}.base_url: ${baseURL}`;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(Math.min(e.timeout_s, 30) * 1000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new RemoteError(`${where}: cannot connect (${cause?.code ?? (err as Error).name}); no request of the study was made`);
  }
  await res.body?.cancel();
  if (res.status === 401 || res.status === 403) {
    throw new RemoteError(`${where}: HTTP ${res.status} for GET /models: the endpoint refuses the key${e.api_key_env ? ` in ${e.api_key_env}` : ' (no api_key_env given)'}; no request of the study was made`);
  }
}

/** Check everything `run` needs before its first paid request (see the module comment). */
export async function preflight(config: ResolvedRunConfig, opts: { readonly log?: (line: string) => void } = {}): Promise<PreflightReport> {
  const load = { ...(config.data.images ? { images: config.data.images } : {}), ...(config.data.allow_images_outside ? { allowImagesOutside: true } : {}) };
  // Well-formed URLs first: a typo there is the cheapest thing to report.
  const endpoints = studyEndpoints(config);
  for (const e of endpoints) await local(config, `${e.field}.base_url`, () => parseBaseUrl(e.base_url));
  await local(config, 'out', () => checkWritable(config.outDir));
  if ('checkpoint' in config.estimator) {
    const c = config.estimator.checkpoint;
    await local(config, 'estimator.checkpoint', () => {
      const path = resolveEstimatorPath(c, config.encoders.model_dir);
      if (!existsSync(path)) throw new ConfigError(`${path}: no such file`);
      if (!statSync(path).isFile()) throw new ConfigError(`${path}: not a file`);
    });
  }
  if (config.encoders.kind === 'paper') {
    for (const m of ['clip', 'xlmr']) {
      const spec = modelSpec(m);
      await local(config, 'encoders.kind: paper', () => {
        if (findModel(spec, config.encoders.model_dir) === undefined) throw missingModelError(spec, config.encoders.model_dir);
      });
    }
  }
  const datasets: { field: string; samples: number }[] = [];
  for (const { field, source } of studyDatasets(config)) {
    const samples = await local(config, field, async () => {
      const all = await loadDataset(source.path, { ...(source.split ? { split: source.split } : {}), ...load });
      const used: Sample[] = config.data.limit === undefined ? all : all.slice(0, config.data.limit);
      for (const s of used) await readImageBytes(s);
      return used.length;
    });
    datasets.push({ field, samples });
  }
  for (const e of endpoints) await probe(config, e);
  opts.log?.(`[check] ${datasets.map((d) => `${d.field}: ${d.samples} samples`).join('; ')}; endpoints reachable: ${endpoints.map((e) => e.field).join(', ')}`);
  return { datasets, endpoints: endpoints.map((e) => e.field) };
}
