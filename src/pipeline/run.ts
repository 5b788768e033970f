/**
 * `mllmshift run`: one study from data to report, as resumable stages
 *   shift → infer (→ references) (→ judge) → embed → estimator → estimate → report,
 * each skipped when the run store says its outputs are complete and still valid (same
 * fingerprint of inputs and settings, files unchanged). Answer and review files are appended
 * and fsynced answer by answer, so a run killed at any moment loses at most the request in
 * flight; rerunning the same command continues where it stopped.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, RemoteError } from '../errors.js';
import { loadDataset } from '../data/load.js';
import { isDatasetDir, SAMPLES_FILE } from '../data/dataset-dir.js';
import { parseScenario, type Scenario } from '../data/scenarios.js';
import { readAnswerFile, type ResponseRecord } from '../data/responses.js';
import type { Sample } from '../data/sample.js';
import { generateShifts } from '../shift/generate.js';
import { ChatClient, apiKeyFromEnv } from '../llm/client.js';
import { ResponseCache } from '../llm/cache.js';
import { collectResponses } from '../llm/infer.js';
import { judgeAnswers } from '../llm/judge.js';
import { judgeDifferencePValue, readReviewFile, summarizeReviews, type ScoredReview } from '../llm/summary.js';
import { embedDataset } from '../encode/embed-dataset.js';
import { EmbeddingCache } from '../encode/cache.js';
import { loadEncoder, type EncoderChoice } from '../encode/embed.js';
import type { Encoder } from '../encode/encoder.js';
import { readEmbeddingSet, type EmbeddingSet } from '../io/embedding-set.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { loadClubCheckpoint } from '../io/estimator-checkpoint.js';
import { clubMomentsFn } from '../accel/club-moments.js';
import { gemmBackend } from '../accel/cross-products.js';
import { EntropyPool } from '../accel/entropy-pool.js';
import { analyseEmid, checkSetAgainstEstimator } from './estimate.js';
import { emidUncertainty } from './estimate-intervals.js';
import { trainEstimator } from './train-estimator.js';
import { onnxClubBackend } from '../accel/club-train.js';
import { jsClubBackend } from '../core/estimators/club-train.js';
import { Progress } from '../encode/progress.js';
import { assembleRunResults, type JudgeScores } from './results.js';
import { fileSha256, fingerprint, RunStore } from './run-store.js';
import type { DataSource, EndpointConfig, ResolvedRunConfig } from './config.js';
import { chooseJudgeProtocol } from './judge-protocol-choice.js';
import { preflight, wantedScenarios } from './preflight.js';
import { artefactSpec, requireArtefact, resolveEstimatorPath } from '../encode/artefacts.js';
import { embedQueries } from '../encode/embed.js';
import { wildByDistance, wildFromIndex, wildWithoutHalves } from '../shift/wild.js';
import type { WildSource } from '../shift/generate.js';
import { CachedTranslator, chatTranslator } from '../shift/translate.js';
import type { ExampleResponse, RenderReport, RunResults } from '../report/run-results.js';
import { whyItHurts } from './why-it-hurts.js';
import { VERSION } from '../version.js';

export interface RunHooks {
  /** Log lines (stderr by default). */
  readonly log?: (line: string) => void;
  /** Progress bars on stderr (default true). */
  readonly progress?: boolean;
  /** Called once every scenario's data set exists, before inference (the demo's simulator learns them here). */
  readonly afterShift?: (scenarios: readonly { readonly name: string; readonly dataset: string }[]) => void | Promise<void>;
  /** Simulated-model ground truth per scenario, from its answer file (demo). */
  readonly accuracyOf?: (scenario: string, responsesPath: string) => number;
  readonly simulated?: boolean;
  readonly notes?: readonly string[];
  /** Writes report.html from the results (the report module). */
  readonly renderReport?: RenderReport;
  /** Chat clients for endpoints (tests and the demo may inject their own). */
  readonly clientFor?: (endpoint: EndpointConfig) => ChatClient;
}

export interface RunOutcome {
  readonly outDir: string;
  readonly resultsPath: string;
  readonly reportPath: string | null;
  readonly results: RunResults;
  /** Stages skipped because their outputs were complete. */
  readonly skipped: readonly string[];
  readonly ran: readonly string[];
}

interface ScenarioData {
  readonly name: string;
  readonly source: DataSource;
}

type ImageLoad = { readonly images?: string; readonly allowImagesOutside?: boolean };
const loadSource = (src: DataSource, load: ImageLoad): Promise<Sample[]> => loadDataset(src.path, { ...(src.split ? { split: src.split } : {}), ...load });
const sourceLabel = (src: DataSource): string => (src.split ? `${src.path} (split ${src.split})` : src.path);

function defaultClient(e: EndpointConfig): ChatClient {
  const apiKey = e.api_key_env ? apiKeyFromEnv(e.api_key_env, true) : undefined;
  return new ChatClient({ baseURL: e.base_url, apiKey, concurrency: e.concurrency, timeoutMs: e.timeout_s * 1000 });
}

/** The first `limit` samples (data.limit), or all of them. */
function limited(samples: Sample[], limit: number | undefined): Sample[] {
  return limit === undefined ? samples : samples.slice(0, limit);
}

/** Fingerprint of a data set: its samples file when it is a dataset dir, else its path (and split). */
function datasetFingerprint(src: DataSource): string {
  if (isDatasetDir(src.path)) return fileSha256(join(src.path, SAMPLES_FILE));
  return src.split ? `${src.path}#${src.split}` : src.path;
}

/** The in-the-wild source and its halves for the scenarios that need them (`data.wild`, `data.wild_split`). */
async function wildFor(
  config: ResolvedRunConfig, scenarios: readonly Scenario[], idSamples: () => Promise<Sample[]>, encoder: () => Promise<Encoder>, load: ImageLoad,
): Promise<WildSource | undefined> {
  const needed = scenarios.filter((s) => s.base === 'llava_bench_in_the_wild');
  if (needed.length === 0) return undefined;
  const wild = config.data.wild;
  if (!wild) throw new ConfigError(`${config.configPath}: data.wild: scenario ${needed[0].name} needs the in-the-wild data set`);
  const samples = await loadSource(wild, load);
  const label = sourceLabel(wild);
  if (!needed.some((s) => s.split === 'easy' || s.split === 'hard')) return wildWithoutHalves(samples, label);
  const rule = config.data.wild_split;
  if (!rule) throw new ConfigError(`${config.configPath}: data.wild_split: easy/hard scenarios need {index: FILE} (index: paper = the pulled lbwild-split) or {distance: centroid|nearest}`);
  if ('index' in rule) {
    const file = rule.index === 'paper' ? requireArtefact(artefactSpec('lbwild-split'), config.encoders.model_dir) : rule.index;
    return wildFromIndex(samples, label, file, rule.variant);
  }
  const enc = await encoder();
  const [ood, id] = [await embedQueries(samples, enc), await embedQueries(await idSamples(), enc)];
  return wildByDistance(samples, label, ood, samples.map((x) => x.id), id, rule.distance, { encoder: enc.id, id_dataset: sourceLabel(config.data.id) });
}

/** The translator of the language scenarios (`translation`), with its cache file. */
function translatorFor(config: ResolvedRunConfig, clientFor: (e: EndpointConfig) => ChatClient): CachedTranslator {
  const t = config.translation;
  if (!t) throw new ConfigError(`${config.configPath}: translation: the language scenarios need a translation endpoint (translation.name and base_url) or a complete translation cache (translation.cache)`);
  const inner = t.name !== undefined && t.base_url !== undefined
    ? chatTranslator(clientFor({ name: t.name, base_url: t.base_url, api_key_env: t.api_key_env, concurrency: t.concurrency, timeout_s: t.timeout_s, max_tokens: 1024, temperature: 0 }), t.name, { seed: config.data.seed })
    : undefined;
  return new CachedTranslator(inner, t.cache ?? join(config.outDir, 'translations.json'));
}

/** Move an output made under other settings out of the way (never deleted: it may be the user's only copy). */
function setAside(path: string, log: (l: string) => void): void {
  if (!existsSync(path)) return;
  const stale = `${path}.stale-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(path, stale);
  log(`settings changed: moved the old ${path} to ${stale}`);
}

export async function runStudy(config: ResolvedRunConfig, hooks: RunHooks = {}): Promise<RunOutcome> {
  const log = hooks.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const progress = hooks.progress ?? true;
  const clientFor = hooks.clientFor ?? defaultClient;
  const out = config.outDir;
  // Image roots and pixel cap from data.images / allow_images_outside / max_image_pixels (data/image-root.ts, io/image.ts).
  const imageLoad = { ...(config.data.images ? { images: config.data.images } : {}), ...(config.data.allow_images_outside ? { allowImagesOutside: true } : {}) };
  const pixelCap = config.data.max_image_pixels !== undefined ? { maxImagePixels: config.data.max_image_pixels } : {};
  // data.limit joins the fingerprints only when set, so runs without it keep theirs.
  const limitFp = config.data.limit !== undefined ? { limit: config.data.limit } : {};
  // What comes from the models cache is resolved before any work, so a missing artefact fails at once.
  const protocol = config.judge
    ? chooseJudgeProtocol({ protocol: config.judge.protocol, rules: config.judge.rules, systemPrompt: config.judge.system_prompt, modelDir: config.judge.model_dir })
    : undefined;
  const checkpoint = 'checkpoint' in config.estimator ? resolveEstimatorPath(config.estimator.checkpoint, config.encoders.model_dir) : undefined;
  // Everything local, and one free request per endpoint, before the first paid request.
  await preflight(config, { log });
  for (const d of ['data', 'responses', 'references', 'reviews', 'embeddings', 'cache']) mkdirSync(join(out, d), { recursive: true });
  const store = new RunStore(join(out, 'run.sqlite'));
  const skipped: string[] = [];
  const ran: string[] = [];
  let encoder: Encoder | null = null;
  const getEncoder = async (): Promise<Encoder> => {
    encoder ??= await loadEncoder(config.encoders.kind as EncoderChoice, { modelDir: config.encoders.model_dir, notice: (m) => log(`[embed] ${m}`) });
    return encoder;
  };
  try {
    store.setMeta('config', config);
    store.setMeta('versions', { mllmshift: VERSION, node: process.versions.node });
    store.setMeta('last_started', new Date().toISOString());

    // ── shift: the data sets of every scenario ──────────────────────────────────────────
    const scenarios: ScenarioData[] = [];
    if (config.data.scenarios) {
      const wanted = wantedScenarios(config);
      const grid = 'grid' in config.data.scenarios ? config.data.scenarios.grid : 'custom';
      if (config.data.parquet !== undefined) {
        // The authors' export: every scenario is the split of its name (the ID: data.id).
        for (const s of wanted) scenarios.push({ name: s.name, source: s.name === config.data.id_name ? config.data.id : { path: config.data.parquet, split: s.name } });
        skipped.push(`shift ×${wanted.length} (read from ${config.data.parquet})`);
      } else {
        const wild = config.data.wild;
        const fp = fingerprint({
          source: datasetFingerprint(config.data.id), seed: config.data.seed, ...limitFp,
          ...(wanted.some((s) => s.base === 'llava_bench_in_the_wild') && wild ? { wild: datasetFingerprint(wild), wild_split: config.data.wild_split ?? null } : {}),
          ...(config.translation ? { translation: config.translation.name ?? 'cache only' } : {}),
        });
        const missing = wanted.filter((s) => !store.completed('shift', s.name, fp) || !isDatasetDir(join(out, 'data', s.name)));
        if (missing.length > 0) {
          log(`[shift] generating ${missing.length} of ${wanted.length} scenario data sets`);
          let idSamples: Sample[] | undefined;
          const source = async (): Promise<Sample[]> => (idSamples ??= limited(await loadSource(config.data.id, imageLoad), config.data.limit));
          const wildSource = await wildFor(config, missing, source, getEncoder, imageLoad);
          const translator = missing.some((s) => s.text?.kind === 'translate' && s.text.language !== 'English') ? translatorFor(config, clientFor) : undefined;
          try {
            const result = await generateShifts({
              source: { samples: await source(), label: sourceLabel(config.data.id) },
              ...(wildSource ? { wild: wildSource } : {}),
              ...(translator ? { translator } : {}),
              scenarios: missing,
              grid,
              outDir: join(out, 'data'),
              seed: config.data.seed,
              ...pixelCap,
              log: (l) => log(`[shift] ${l}`),
            });
            for (const g of result.scenarios) store.complete('shift', g.name, fp, join(g.dir, SAMPLES_FILE), { samples: g.samples, modality: g.modality });
          } finally {
            translator?.save();
          }
          ran.push(`shift ×${missing.length}`);
        } else skipped.push(`shift ×${wanted.length}`);
        for (const s of wanted) scenarios.push({ name: s.name, source: { path: join(out, 'data', s.name) } });
      }
    } else {
      scenarios.push({ name: config.data.id_name, source: config.data.id });
    }
    for (const [name, source] of Object.entries(config.data.ood)) {
      if (scenarios.some((s) => s.name === name)) throw new ConfigError(`${config.configPath}: data.ood: scenario "${name}" is defined twice`);
      scenarios.push({ name, source });
    }
    // ID first, then OOD in order.
    const idIndex = scenarios.findIndex((s) => s.name === config.data.id_name);
    if (idIndex < 0) throw new ConfigError(`${config.configPath}: data.id_name "${config.data.id_name}" is not among the scenarios`);
    const ordered = [scenarios[idIndex], ...scenarios.filter((_, i) => i !== idIndex)];

    await hooks.afterShift?.(ordered.map((s) => ({ name: s.name, dataset: s.source.path })));
    const samplesOf = new Map<string, Sample[]>();
    store.retainScenarios(ordered.map((s) => s.name));
    for (const s of ordered) {
      const samples = limited(await loadSource(s.source, imageLoad), config.data.limit);
      samplesOf.set(s.name, samples);
      store.putSamples(s.name, samples.map((x) => ({ id: x.id, question: x.question, reference: x.referenceAnswer, category: x.category, image: x.image.kind === 'file' ? x.image.path : x.image.name ?? '(bytes)' })));
    }

    // ── infer (and references from a model) ────────────────────────────────────────────
    // The run's own cache keeps sampled replies too (the judge's temperature 0.2): within one study
    // the easy/hard halves reuse normal's judgments and a rerun reproduces the study.
    const responseCache = new ResponseCache(join(out, 'cache', 'responses.sqlite'), { sampled: true });
    try {
      const collect = async (role: 'model' | 'reference', endpoint: EndpointConfig, dir: string): Promise<void> => {
        const stage = role === 'model' ? 'infer' : 'references';
        const client = clientFor(endpoint);
        const total = ordered.reduce((a, s) => a + (samplesOf.get(s.name) as Sample[]).length, 0);
        const bar = new Progress(`[${stage}] answers`, total, { enabled: progress, unit: 'answers' });
        for (const s of ordered) {
          const outPath = join(out, dir, `${s.name}.jsonl`);
          // The endpoint's URL is not part of the fingerprint: the same model may move host or port.
          const fp = fingerprint({ model: endpoint.name, max_tokens: endpoint.max_tokens, temperature: endpoint.temperature, data: datasetFingerprint(s.source), ...limitFp });
          const n = (samplesOf.get(s.name) as Sample[]).length;
          if (store.completed(stage, s.name, fp)) { skipped.push(`${stage} ${s.name}`); bar.tick(n); continue; }
          const prev = store.getMeta<string>(`fp:${stage}:${s.name}`);
          if (prev !== undefined && prev !== fp) setAside(outPath, log);
          store.setMeta(`fp:${stage}:${s.name}`, fp);
          const samples = samplesOf.get(s.name) as Sample[];
          let seen = 0;
          const summary = await collectResponses({
            samples, client, model: endpoint.name, outPath, cache: responseCache, ...pixelCap,
            maxTokens: endpoint.max_tokens, temperature: endpoint.temperature,
            onProgress: (p) => {
              bar.tick(p.done - seen);
              seen = p.done;
            },
          });
          bar.tick(n - seen);
          if (summary.failures.length > 0) {
            throw new RemoteError(`[${stage}] ${s.name}: ${summary.failures.length} of ${summary.total} requests failed (first: ${summary.failures[0].id}: ${summary.failures[0].message}); ${summary.resumed + summary.written} answers are saved in ${outPath}; rerun to continue`);
          }
          const records = readAnswerFile(outPath);
          store.complete(stage, s.name, fp, outPath, { answers: records.length, fromCache: summary.fromCache }, () =>
            store.putResponses(s.name, role, endpoint.name, records.map((r) => ({ id: r.questionId, text: r.text }))));
          ran.push(`${stage} ${s.name}`);
        }
        bar.finish();
      };
      await collect('model', config.model, 'responses');
      if (config.references.source === 'model') await collect('reference', config.references.model, 'references');
      

      // ── judge ─────────────────────────────────────────────────────────────────────────
      const judgeScores = new Map<string, JudgeScores>();
      const reviewsOf = new Map<string, ScoredReview[]>();
      if (config.judge && protocol) {
        const judge = config.judge;
        const client = clientFor(judge);
        const bar = new Progress('[judge] reviews', ordered.reduce((a, s) => a + (samplesOf.get(s.name) as Sample[]).length, 0), { enabled: progress, unit: 'reviews' });
        for (const s of ordered) {
          const n = (samplesOf.get(s.name) as Sample[]).length;
          const outPath = join(out, 'reviews', `${s.name}.jsonl`);
          const answersPath = join(out, 'responses', `${s.name}.jsonl`);
          const refsPath = config.references.source === 'model' ? join(out, 'references', `${s.name}.jsonl`) : null;
          const fp = fingerprint({
            judge: judge.name, both: judge.both_orders, answers: fileSha256(answersPath), refs: refsPath ? fileSha256(refsPath) : null,
            ...(protocol.name !== 'mllmshift' || judge.layout ? { protocol: protocol.name, layout: judge.layout ?? null } : {}),
          });
          if (!store.completed('judge', s.name, fp)) {
            const prev = store.getMeta<string>(`fp:judge:${s.name}`);
            if (prev !== undefined && prev !== fp) setAside(outPath, log);
            store.setMeta(`fp:judge:${s.name}`, fp);
            let seen = 0;
            const byId = (records: ResponseRecord[]): Map<string, ResponseRecord> => new Map(records.map((r) => [r.questionId, r]));
            const summary = await judgeAnswers({
              samples: samplesOf.get(s.name) as Sample[],
              answers: byId(readAnswerFile(answersPath)),
              references: refsPath ? byId(readAnswerFile(refsPath)) : undefined,
              client, judgeModel: judge.name, outPath, bothOrders: judge.both_orders, cache: responseCache,
              maxTokens: judge.max_tokens, protocol, ...(judge.layout ? { layout: judge.layout } : {}),
              onProgress: (p) => { bar.tick(p.done - seen); seen = p.done; },
            });
            if (summary.failures.length > 0) {
              throw new RemoteError(`[judge] ${s.name}: ${summary.failures.length} judge requests failed (first: ${summary.failures[0].message}); reviews so far are saved in ${outPath}; rerun to continue`);
            }
            const file = readReviewFile(outPath);
            store.complete('judge', s.name, fp, outPath, { reviews: file.reviews.length, unparsable: summary.unparsable });
            store.putReviews(s.name, file.reviews.map((r, i) => ({ id: r.id ?? String(i), category: r.category, tuple: r.tuple })));
            bar.tick(n - seen);
            ran.push(`judge ${s.name}`);
          } else {
            skipped.push(`judge ${s.name}`);
            bar.tick(n);
          }
          const file = readReviewFile(outPath);
          reviewsOf.set(s.name, file.reviews);
          const all = summarizeReviews(file.reviews, { resamples: config.analysis.bootstrap > 0 ? Math.max(200, config.analysis.bootstrap) : 0, seed: config.analysis.seed })
            .categories.find((c) => c.category === 'all');
          if (all && all.relativeScore !== null && all.winRate !== null) {
            judgeScores.set(s.name, {
              relativePreference: all.relativeScore,
              relativePreferenceCi95: all.relativeScoreCI,
              winRate: all.winRate,
              winRateCi95: all.winRateCI,
              wins: all.wins,
              ties: all.ties,
              losses: all.losses,
              judged: all.n,
              failed: all.failed,
              differencePValue: s === ordered[0] ? null : judgeDifferencePValue(reviewsOf.get(ordered[0].name) ?? [], file.reviews, config.analysis.permutations, config.analysis.seed),
            });
          }
        }
        bar.finish();
      }

      // ── embed ─────────────────────────────────────────────────────────────────────────
      const sets: EmbeddingSet[] = [];
      const embCache = new EmbeddingCache(join(out, 'cache', 'embeddings'), (m) => log(`[embed] ${m}`));
      const embedBar = new Progress('[embed] sets', ordered.length, { enabled: progress, unit: 'sets' });
      for (const s of ordered) {
        const setPath = join(out, 'embeddings', `${s.name}.safetensors`);
        const responses = join(out, 'responses', `${s.name}.jsonl`);
        const references = config.references.source === 'model' ? join(out, 'references', `${s.name}.jsonl`) : undefined;
        const fp = fingerprint({ encoders: config.encoders.kind, modelDir: config.encoders.model_dir ?? null, responses: fileSha256(responses), references: references ? fileSha256(references) : null, data: datasetFingerprint(s.source), ...limitFp });
        if (!store.completed('embed', s.name, fp)) {
          const summary = await embedDataset({ dataset: s.source.path, limit: config.data.limit, ...(s.source.split ? { split: s.source.split } : {}), responses, references, out: setPath, scenario: s.name, encoder: await getEncoder(), cache: embCache, batchSize: config.encoders.batch_size, progress: false, load: imageLoad, ...pixelCap });
          store.complete('embed', s.name, fp, setPath, { samples: summary.samples, stats: summary.stats, seconds: summary.seconds }, () =>
            store.putEmbeddings(s.name, setPath, summary.encoders, { image: summary.encoders.image, text: summary.encoders.text }));
          ran.push(`embed ${s.name}`);
        } else skipped.push(`embed ${s.name}`);
        sets.push(readEmbeddingSet(setPath));
        embedBar.tick();
      }
      embedBar.finish();

      // ── estimator ─────────────────────────────────────────────────────────────────────
      let estimatorPath: string;
      if ('checkpoint' in config.estimator) {
        estimatorPath = checkpoint as string;
      } else {
        const t = config.estimator.train;
        estimatorPath = join(out, 'estimator.safetensors');
        const fp = fingerprint({ train: t, sets: sets.map((s) => fileSha256(s.path)) });
        if (!store.completed('estimator', 'all', fp)) {
          log(`[estimator] training CLUB on ${sets.length} embedding sets (${t.pairs} pairs, up to ${t.epochs} epochs)`);
          const bar = new Progress('[estimator] epochs', t.epochs, { enabled: progress, unit: 'epochs' });
          const r = await trainEstimator(sets, estimatorPath, {
            epochs: t.epochs, batchSize: t.batch_size, lr: t.lr, hidden: t.hidden, pairs: t.pairs, valFraction: t.val_fraction, seed: t.seed,
            backend: async (shape) => (process.env.MLLMSHIFT_ACCEL === 'js' ? jsClubBackend(shape) : onnxClubBackend(shape)),
            onEpoch: () => bar.tick(),
          });
          bar.finish();
          log(`[estimator] best held-out loss at epoch ${r.bestEpoch} of ${r.trainLoss.length} (${r.backend})`);
          store.complete('estimator', 'all', fp, estimatorPath, { bestEpoch: r.bestEpoch, backend: r.backend, valLoss: r.bestValLoss });
          ran.push('estimator');
        } else skipped.push('estimator');
      }
      const ckpt = loadClubCheckpoint(estimatorPath);
      for (const s of sets) checkSetAgainstEstimator(s, ckpt, { allowEncoderMismatch: 'checkpoint' in config.estimator && config.estimator.allow_encoder_mismatch });

      // ── estimate ──────────────────────────────────────────────────────────────────────
      const [idSet, ...oodSets] = sets;
      if (oodSets.length === 0) throw new ConfigError(`${config.configPath}: no OOD scenario to compare with the ID set`);
      log(`[estimate] EMI, EMID, JSD terms and bounds for ${oodSets.length} OOD sets${config.analysis.bootstrap > 0 ? `, ${config.analysis.bootstrap} bootstrap replicates` : ''}${config.analysis.permutations > 0 ? `, ${config.analysis.permutations} permutations` : ''}`);
      const moments = await clubMomentsFn(ckpt.network);
      const pool = new EntropyPool();
      let analysis;
      let uncertainty = null;
      const a = config.analysis;
      try {
        const gemm = await gemmBackend();
        analysis = await analyseEmid(idSet, oodSets, ckpt.network, { bound: a.bound, entropyScaler: a.entropy_scaler, jsdMixture: a.jsd_mixture, seed: a.seed, moments, gemm, entropy: pool.entropy });
        if (a.bootstrap > 0 || a.permutations > 0) {
          uncertainty = await emidUncertainty(idSet, oodSets, ckpt.network, { bootstrap: a.bootstrap, permutations: a.permutations, seed: a.seed, jsdMixture: a.jsd_mixture, bound: a.bound, entropyScaler: a.entropy_scaler, moments, gemm, runner: pool, progress, progressPrefix: '[estimate] ' });
        }
      } finally {
        await pool.close();
      }
      const examples = pickExamples(ordered.map((s) => s.name), samplesOf, out, config.report.examples);
      const results = assembleRunResults(analysis, uncertainty, {
        runName: config.name,
        model: config.model.name,
        encoders: describeEncoders(idSet.metadata.encoders, config.encoders.kind),
        estimator: estimatorPath,
        simulated: hooks.simulated ?? false,
        emiUnit: ckpt.network.boundedLogvar ? 'score' : 'nats',
        notes: hooks.notes ?? [],
        judge: judgeScores,
        simulatedAccuracy: hooks.accuracyOf
          ? new Map(ordered.map((s) => [s.name, hooks.accuracyOf!(s.name, join(out, 'responses', `${s.name}.jsonl`))]))
          : undefined,
        examples,
      });
      const resultsPath = join(out, 'results.json');
      writeFileAtomic(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
      store.putResult('results', results);
      ran.push('estimate');

      // ── report ────────────────────────────────────────────────────────────────────────
      let reportPath: string | null = null;
      if (config.report.html && hooks.renderReport) {
        reportPath = join(out, 'report.html');
        writeFileAtomic(reportPath, hooks.renderReport(results, { whyItHurts: await whyItHurts(results, out) }));
        ran.push('report');
      }
      return { outDir: out, resultsPath, reportPath, results, skipped, ran };
    } finally {
      responseCache.close();
    }
  } finally {
    store.close();
  }
}

/** "builtin (image: builtin-image-stats v1; text: builtin-text-hashed-ngrams v1)" from a set's metadata. */
function describeEncoders(meta: string | undefined, kind: string): string {
  try {
    const e = JSON.parse(meta ?? '') as { kind?: string; image?: { id: string; version: string }; text?: { id: string; version: string } };
    const part = (p?: { id: string; version: string }): string => (p ? `${p.id} v${p.version.length > 12 ? p.version.slice(0, 12) + '…' : p.version}` : '?');
    return `${e.kind ?? kind} (image: ${part(e.image)}; text: ${part(e.text)})`;
  } catch {
    return kind;
  }
}


/** A few (question, model response, reference) triples across scenarios, for the report. */
function pickExamples(names: readonly string[], samplesOf: ReadonlyMap<string, Sample[]>, out: string, count: number): ExampleResponse[] {
  const examples: ExampleResponse[] = [];
  if (count === 0) return examples;
  const step = Math.max(1, Math.floor(names.length / count));
  for (let k = 0; k < names.length && examples.length < count; k += step) {
    const name = names[k];
    const path = join(out, 'responses', `${name}.jsonl`);
    if (!existsSync(path)) continue;
    const answers = readAnswerFile(path);
    const samples = samplesOf.get(name) ?? [];
    const s = samples[examples.length % Math.max(1, samples.length)];
    const a = s ? answers.find((r) => r.questionId === s.id) : undefined;
    if (s && a) examples.push({ scenario: name, id: s.id, question: s.question, response: a.text, reference: s.referenceAnswer ?? '' });
  }
  return examples;
}
