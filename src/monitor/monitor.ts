/**
 * `mllmshift monitor`: watch a deployed MLLM over its logged traffic.
 *
 * The log is streamed once per invocation (traffic.ts); requests are cut into windows
 * (windows.ts) and each window keeps a seeded uniform sample of `windows.sample` requests.
 * The reference period (the first N windows, or a benchmark data set) gives the reference set
 * R and the rows that calibrate the null. For each later window: a budgeted share of its
 * sampled rows is answered by the reference model (Y), all rows are embedded (encode/, with
 * the embedding cache), and EMI, EMID, the four JSD terms, the bound, their bootstrap
 * intervals, the null baseline and the alert decisions are computed (window-stats.ts,
 * alerts.ts), with the window's most drifted samples (core/jsd-contributions.ts).
 *
 * Resumable like `run`: each finished window is stored (store.ts) with a fingerprint of the
 * settings; a rerun — after a kill, or from cron on a log that has grown — re-reads the log
 * but skips every stored window, and reference answers and embeddings come from their caches.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ConfigError, InputError, RemoteError } from '../errors.js';
import { queryEmbedding } from '../core/emi.js';
import type { ClubNetwork } from '../core/club.js';
import { jsdContributions } from '../core/jsd-contributions.js';
import type { Matrix } from '../core/matrix.js';
import { Rng } from '../core/random.js';
import { trainClub } from '../core/estimators/club-train.js';
import { jsClubBackend } from '../core/estimators/club-train.js';
import { onnxClubBackend } from '../accel/club-train.js';
import { clubMomentsFn, type MomentsFn } from '../accel/club-moments.js';
import { loadDataset, readImageBytes } from '../data/load.js';
import { readAnswerFile } from '../data/responses.js';
import type { Sample } from '../data/sample.js';
import { EmbeddingCache } from '../encode/cache.js';
import { embedInputs, loadEncoder, type EncoderChoice } from '../encode/embed.js';
import type { Encoder } from '../encode/encoder.js';
import { decodeImage } from '../io/image.js';
import { loadClubCheckpoint, saveClubCheckpoint } from '../io/estimator-checkpoint.js';
import { ChatClient, apiKeyFromEnv } from '../llm/client.js';
import { completeCached, ResponseCache } from '../llm/cache.js';
import { sampleRequest } from '../llm/infer.js';
import type { EndpointConfig } from '../pipeline/config.js';
import { fingerprint } from '../pipeline/run-store.js';
import { VERSION } from '../version.js';
import { decide, type AlertDecision } from './alerts.js';
import { referenceBudget, type ResolvedMonitorConfig } from './config.js';
import { readTraffic } from './ingest.js';
import { MonitorStore, type SampleRow } from './store.js';
import { imageRef, type IngestSummary, type TrafficRecord } from './traffic.js';
import { permutationNull, prepareReference, subsetRows, windowIntervals, windowStatistics, type EmbeddedRows, type NullCalibration, type PreparedReference, type StatOptions, type WindowIntervals } from './window-stats.js';
import { Windower, type OpenWindow } from './windows.js';

export interface DriftedSample {
  readonly id: string;
  readonly line: number;
  readonly question: string;
  readonly answer: string;
  readonly reference: string | null;
  /** c_i of the visual and the text JSD (core/jsd-contributions.ts). */
  readonly contribVisual: number;
  readonly contribText: number;
  /** A small JPEG of the image as a data URL (null if it could not be read). */
  readonly thumbnail: string | null;
}

/** How many rows each quantity of a window was computed on. */
export interface QuantityCounts {
  readonly miModel: number;
  readonly miReference: number;
  readonly jsdVisual: number;
  readonly jsdText: number;
  readonly jsdOutput: number;
}

export interface WindowResult {
  readonly key: string;
  readonly index: number;
  readonly start: string | null;
  readonly end: string | null;
  readonly role: 'reference' | 'monitored';
  readonly requests: number;
  readonly analysed: number;
  readonly referenced: number;
  /** Monitored windows only: */
  readonly tested?: number;
  readonly emi?: number;
  readonly emid?: number;
  readonly jsd?: { readonly visual: number; readonly text: number; readonly idOutput: number; readonly oodOutput: number };
  readonly bound?: number;
  readonly intervals?: WindowIntervals | null;
  readonly null?: NullCalibration;
  readonly decisions?: readonly AlertDecision[];
  readonly alert?: boolean;
  readonly counts?: QuantityCounts;
  readonly drifted?: readonly DriftedSample[];
}

export interface AlertEvent {
  readonly monitor: string;
  readonly window: string;
  readonly index: number;
  readonly start: string | null;
  readonly statistic: AlertDecision['statistic'];
  readonly value: number;
  readonly nullMean: number;
  readonly z: number;
  readonly threshold: number;
  readonly alpha: number;
}

export interface MonitorHooks {
  readonly log?: (line: string) => void;
  /** Each alert of a window analysed in this invocation, as it is raised. */
  readonly onAlert?: (a: AlertEvent) => void;
  readonly clientFor?: (e: EndpointConfig) => ChatClient;
  readonly renderDashboard?: (m: MonitorOutcome) => string;
  /** Notes shown on the dashboard (the demo says it is a simulation). */
  readonly notes?: readonly string[];
  readonly simulated?: boolean;
}

export interface ReferenceSummary {
  readonly source: string;
  readonly poolRows: number;
  readonly size: number;
  readonly referenced: number;
  readonly emi: number;
  readonly idOutput: number;
}

export interface MonitorOutcome {
  readonly name: string;
  readonly outDir: string;
  readonly ingest: IngestSummary & { readonly late: number; readonly untimed: number };
  readonly reference: ReferenceSummary | null;
  readonly windows: readonly WindowResult[];
  /** Windows analysed in this invocation (the others came from the store). */
  readonly analysedNow: number;
  readonly alertsNow: readonly AlertEvent[];
  readonly openWindow: { readonly key: string; readonly requests: number } | null;
  readonly webhookFailures: number;
  readonly settings: { readonly alpha: number; readonly bound: string; readonly mixture: string; readonly bootstrap: number; readonly nullWindows: number; readonly sample: number; readonly by: string; readonly fraction: number };
  readonly notes: readonly string[];
  readonly simulated: boolean;
  readonly dashboardPath: string | null;
}

function defaultClient(e: EndpointConfig): ChatClient {
  const apiKey = e.api_key_env ? apiKeyFromEnv(e.api_key_env, true) : undefined;
  return new ChatClient({ baseURL: e.base_url, apiKey, concurrency: e.concurrency, timeoutMs: e.timeout_s * 1000 });
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** A sampled row on its way to the estimators. */
interface Row {
  readonly record: TrafficRecord;
  readonly sample: Sample;
  reference: string | null;
}

async function thumbnail(sample: Sample): Promise<string | null> {
  try {
    const { image: img } = await decodeImage(await readImageBytes(sample), `request ${sample.id}`);
    const jpeg = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).resize(160, 160, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer();
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  } catch {
    return null;
  }
}

export async function runMonitor(config: ResolvedMonitorConfig, hooks: MonitorHooks = {}): Promise<MonitorOutcome> {
  const log = hooks.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const out = config.outDir;
  mkdirSync(join(out, 'cache'), { recursive: true });
  const store = new MonitorStore(join(out, 'monitor.sqlite'));
  const refCache = new ResponseCache(join(out, 'cache', 'references.sqlite'));
  const embCache = new EmbeddingCache(join(out, 'cache', 'embeddings'), (m) => log(`[monitor] ${m}`));
  const a = config.analysis;
  const opts: StatOptions = { mixture: a.jsd_mixture, bound: a.bound, entropyScaler: a.entropy_scaler };
  const fp = fingerprint({
    windows: config.windows, reference: { ...config.reference }, references: { model: config.references.model.name, fraction: config.references.fraction, max: config.references.max_per_window ?? null, cost: config.references.cost_per_request ?? null, budget: config.references.budget_per_window ?? null, max_tokens: config.references.model.max_tokens, temperature: config.references.model.temperature },
    encoders: config.encoders.kind, estimator: config.estimator, analysis: a, alerts: { alpha: config.alerts.alpha, e: config.alerts.emid_min_effect, b: config.alerts.bound_min_effect }, format: config.traffic.format,
  });
  store.setMeta('config', config);
  store.setMeta('versions', { mllmshift: VERSION, node: process.versions.node });
  const client = (hooks.clientFor ?? defaultClient)(config.references.model);
  let encoder: Encoder | null = null;
  let moments: MomentsFn | null = null;
  let reference: PreparedReference | null = null;
  let referenceSummary: ReferenceSummary | null = null;
  const results: WindowResult[] = [];
  const alertsNow: AlertEvent[] = [];
  const refWindows: { window: OpenWindow; rows: Row[] }[] = [];
  let tested = 0;
  let analysedNow = 0;
  let webhookFailures = 0;

  const getEncoder = async (): Promise<Encoder> => {
    encoder ??= await loadEncoder(config.encoders.kind as EncoderChoice, { modelDir: config.encoders.model_dir, notice: (m) => log(`[monitor] ${m}`) });
    return encoder;
  };

  const toRows = (records: readonly TrafficRecord[]): Row[] =>
    [...records].sort((x, y) => x.line - y.line).map((r) => ({ record: r, sample: { id: r.id, image: imageRef(r.image, r.id), question: r.question }, reference: null }));

  /** Ask the reference model for the chosen rows (cached by request content). */
  const askReferences = async (rows: readonly Row[], key: string): Promise<void> => {
    const k = referenceBudget(config.references, rows.length);
    const order = new Rng(Number.parseInt(fingerprint({ key, seed: a.seed }).slice(0, 8), 16)).permutation(rows.length);
    const chosen = Array.from(order.subarray(0, k), (i) => rows[i]);
    const e = config.references.model;
    await Promise.all(chosen.map(async (row) => {
      const request = await sampleRequest(row.sample, e.name, { maxTokens: e.max_tokens, temperature: e.temperature });
      const { result } = await completeCached(client, refCache, request);
      if (result.text.trim() === '') throw new RemoteError(`reference model "${e.name}" gave an empty answer to request ${row.record.id} (log line ${row.record.line})`);
      row.reference = result.text;
    }));
  };

  const embed = async (rows: readonly Row[]): Promise<Omit<EmbeddedRows, 'moments'> & { x: Matrix<Float64Array> }> => {
    const r = await embedInputs(rows.map((row) => ({ id: row.record.id, image: row.sample.image, question: row.record.question, response: row.record.answer, reference: row.reference ?? row.record.answer })), await getEncoder(), { cache: embCache, batchSize: config.encoders.batch_size, progress: false });
    return { xv: r.xv, xt: r.xt, yHat: r.yHat, y: r.y, referenced: Uint8Array.from(rows, (row) => (row.reference === null ? 0 : 1)), x: queryEmbedding(r.xv, r.xt) };
  };

  const withMoments = async (e: Awaited<ReturnType<typeof embed>>): Promise<EmbeddedRows> => {
    const m = await moments!(e.x);
    return { xv: e.xv, xt: e.xt, yHat: e.yHat, y: e.y, referenced: e.referenced, moments: m };
  };

  const loadOrTrainEstimator = async (pool: Awaited<ReturnType<typeof embed>>, ids: readonly string[]): Promise<ClubNetwork> => {
    if ('checkpoint' in config.estimator) return loadClubCheckpoint(config.estimator.checkpoint).network;
    const t = config.estimator.train;
    const path = join(out, 'estimator.safetensors');
    const efp = fingerprint({ t, ids, encoders: config.encoders.kind });
    if (store.getMeta<string>('estimator_fp') === efp) {
      try {
        return loadClubCheckpoint(path).network;
      } catch {
        // Missing or damaged: train again below.
      }
    }
    // Pairs (x, ŷ) for every row and (x, y) for the referenced rows.
    const refIdx = [...pool.referenced.keys()].filter((i) => pool.referenced[i]);
    const n = pool.x.rows + refIdx.length;
    const d = pool.x.cols;
    const dy = pool.y.cols;
    const x = new Float64Array(n * d);
    const y = new Float64Array(n * dy);
    x.set(pool.x.data);
    y.set(pool.yHat.data);
    refIdx.forEach((i, k) => {
      x.set(pool.x.data.subarray(i * d, (i + 1) * d), (pool.x.rows + k) * d);
      y.set(pool.y.data.subarray(i * dy, (i + 1) * dy), (pool.x.rows + k) * dy);
    });
    log(`[monitor] training the CLUB estimator on ${n} pairs from the reference period (${t.epochs} epochs at most)`);
    const r = await trainClub({ rows: n, cols: d, data: x }, { rows: n, cols: dy, data: y }, { epochs: t.epochs, batchSize: t.batch_size, lr: t.lr, hidden: t.hidden, seed: t.seed },
      async (shape) => (process.env.MLLMSHIFT_ACCEL === 'js' ? jsClubBackend(shape) : onnxClubBackend(shape)));
    saveClubCheckpoint(path, r.network, { format: 'mllmshift.club-estimator/1', trained_on: 'monitor reference period', train_rows: String(r.trainRows), best_epoch: String(r.bestEpoch), training_config: JSON.stringify(r.config), version: VERSION });
    store.setMeta('estimator_fp', efp);
    return r.network;
  };

  /** R and the calibration pool from the reference period's rows. */
  const buildReference = async (rows: Row[], source: string): Promise<void> => {
    log(`[monitor] reference period: ${rows.length} sampled requests (${source})`);
    const e = await embed(rows);
    const net = await loadOrTrainEstimator(e, rows.map((r) => r.record.id));
    moments = await clubMomentsFn(net);
    const all = await withMoments(e);
    const size = config.reference.size;
    if (rows.length < size) {
      throw new ConfigError(`${config.configPath}: reference: the reference period has ${rows.length} sampled requests, fewer than reference.size = ${size} — use more reference windows, a larger windows.sample, or a smaller reference.size`);
    }
    const rIdx = new Rng(a.seed ^ 0x5eed).permutation(rows.length).subarray(0, size);
    const rRows = subsetRows(all, rIdx, Uint8Array.from(rIdx, (i) => all.referenced[i]));
    reference = prepareReference(rRows, opts);
    referenceSummary = { source, poolRows: rows.length, size, referenced: rRows.referenced.reduce((s, v) => s + v, 0), emi: reference.emi, idOutput: reference.idOutput };
    store.setMeta('reference', referenceSummary);
  };

  const postWebhook = async (event: AlertEvent): Promise<void> => {
    const url = config.alerts.webhook;
    if (!url) return;
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event), signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      webhookFailures += 1;
      log(`[monitor] webhook ${new URL(url).origin}: alert for window ${event.window} not delivered (${(err as Error).message})`);
    }
  };

  const analyse = async (w: OpenWindow): Promise<WindowResult> => {
    const rows = toRows(w.sample);
    await askReferences(rows, w.key);
    const e = await embed(rows);
    const win = await withMoments(e);
    const m = win.referenced.reduce((s, v) => s + v, 0);
    const base = { key: w.key, index: w.index, start: iso(w.start), end: iso(w.end), role: 'monitored' as const, requests: w.requests, analysed: rows.length, referenced: m };
    if (m < 2 || rows.length < 4) {
      throw new InputError(`window ${w.key}: ${rows.length} sampled requests of which ${m} with a reference answer; at least 4 and 2 are needed (raise references.fraction or its budget, or use larger windows)`);
    }
    const ref = reference!;
    const s = windowStatistics(ref, win, opts);
    const intervals = a.bootstrap > 0 ? windowIntervals(ref, win, opts, a.bootstrap, a.seed + w.index) : null;
    const cal = permutationNull(ref, win, a.null_windows, a.seed + 7919 * (w.index + 1), opts);
    tested += 1;
    const half = config.alerts.alpha / 2;
    const decisions = [
      decide('emid', s.emid, cal.emid, cal.windows, half, tested, config.alerts.emid_min_effect),
      decide('bound', s.bound, cal.bound, cal.windows, half, tested, config.alerts.bound_min_effect),
    ];
    // Contributions need eigenvectors (the costliest step): only when samples are kept.
    const none = new Float64Array(rows.length).fill(NaN);
    const cv = a.top_samples > 0 ? jsdContributions(ref.rows.xv, win.xv) : none;
    const ct = a.top_samples > 0 ? jsdContributions(ref.rows.xt, win.xt) : none;
    const order = [...rows.keys()].sort((i, j) => cv[j] + ct[j] - (cv[i] + ct[i]));
    const drifted: DriftedSample[] = [];
    for (const i of order.slice(0, a.top_samples)) {
      const r = rows[i];
      drifted.push({ id: r.record.id, line: r.record.line, question: r.record.question, answer: r.record.answer, reference: r.reference, contribVisual: cv[i], contribText: ct[i], thumbnail: await thumbnail(r.sample) });
    }
    const result: WindowResult = {
      ...base, tested, emi: s.emi, emid: s.emid, jsd: s.jsd, bound: s.bound, intervals, null: cal, decisions,
      alert: decisions.some((d) => d.alert),
      counts: { miModel: rows.length, miReference: m, jsdVisual: rows.length, jsdText: rows.length, jsdOutput: m },
      drifted,
    };
    const samples: SampleRow[] = rows.map((r, i) => ({ requestId: r.record.id, line: r.record.line, question: r.record.question, answer: r.record.answer, reference: r.reference, image: r.record.image.kind === 'file' ? r.record.image.path : 'inline', contribVisual: Number.isNaN(cv[i]) ? null : cv[i], contribText: Number.isNaN(ct[i]) ? null : ct[i] }));
    store.completeWindow(w.key, w.index, fp, result, samples);
    analysedNow += 1;
    log(`[monitor] window ${w.key}: ${w.requests} requests, ${rows.length} analysed, ${m} references; EMID ${s.emid.toFixed(4)} (z ${decisions[0].z.toFixed(2)}), bound ${s.bound.toFixed(4)} (z ${decisions[1].z.toFixed(2)}, threshold ${decisions[1].threshold.toFixed(2)})${result.alert ? ' — ALERT' : ''}`);
    for (const d of decisions.filter((x) => x.alert)) {
      const event: AlertEvent = { monitor: config.name, window: w.key, index: w.index, start: base.start, statistic: d.statistic, value: d.value, nullMean: d.nullMean, z: d.z, threshold: d.threshold, alpha: d.alpha };
      alertsNow.push(event);
      hooks.onAlert?.(event);
      await postWebhook(event);
    }
    return result;
  };

  const handle = async (w: OpenWindow): Promise<void> => {
    const refN = config.reference.windows;
    if (refN !== undefined && w.index < refN) {
      const rows = toRows(w.sample);
      await askReferences(rows, w.key);
      refWindows.push({ window: w, rows });
      const result: WindowResult = { key: w.key, index: w.index, start: iso(w.start), end: iso(w.end), role: 'reference', requests: w.requests, analysed: rows.length, referenced: rows.filter((r) => r.reference !== null).length };
      store.completeWindow(w.key, w.index, fp, result, rows.map((r) => ({ requestId: r.record.id, line: r.record.line, question: r.record.question, answer: r.record.answer, reference: r.reference, image: r.record.image.kind === 'file' ? r.record.image.path : 'inline', contribVisual: null, contribText: null })));
      results.push(result);
      if (w.index === refN - 1) await buildReference(refWindows.flatMap((x) => x.rows), `the first ${refN} windows of traffic`);
      return;
    }
    const done = store.completedWindow<WindowResult>(w.key, fp);
    if (done && done.role === 'monitored') {
      results.push(done);
      tested = done.tested ?? tested;
      return;
    }
    if (!reference) throw new InputError(`${config.traffic.path}: window ${w.key} closed before the reference period was complete`);
    results.push(await analyse(w));
  };

  let late = 0;
  let untimed = 0;
  let openWindow: MonitorOutcome['openWindow'] = null;
  try {
    if (config.reference.dataset) {
      const samples = await loadDataset(config.reference.dataset);
      const answers = new Map(readAnswerFile(config.reference.answers!).map((r) => [r.questionId, r]));
      const rows: Row[] = samples.map((s, i) => {
        const ans = answers.get(s.id);
        if (!ans) throw new InputError(`${config.reference.answers}: no answer for sample ${s.id} of ${config.reference.dataset}`);
        return { record: { id: s.id, line: i + 1, time: null, question: s.question, image: { kind: 'file', path: s.image.kind === 'file' ? s.image.path : '' }, answer: ans.text }, sample: s, reference: s.referenceAnswer ?? null };
      });
      const missing = rows.filter((r) => r.reference === null);
      if (missing.length > 0) await askReferences(missing, 'reference-dataset');
      await buildReference(rows, config.reference.dataset);
    }
    const windower = new Windower(config.windows.by, config.windows.size ?? 1, config.windows.sample, a.seed);
    let shown = 0;
    const ingest = await readTraffic(config.traffic, async (r) => {
      const p = windower.push(r);
      if (p.kind === 'late') { late += 1; return; }
      if (p.kind === 'untimed') { untimed += 1; return; }
      store.addRequest(r.line, r.id, r.time, p.key!);
      if (p.kind === 'closed') await handle(p.window);
    }, {
      onIssue: (i) => {
        if (shown < 20) log(i.message);
        else if (shown === 20) log('[monitor] … further malformed lines are counted, not shown');
        shown += 1;
      },
    });
    const last = windower.finish();
    if (last) {
      const complete = config.windows.by === 'count' ? last.requests >= (config.windows.size ?? 0) : config.windows.analyse_last;
      if (complete) await handle(last);
      else {
        openWindow = { key: last.key, requests: last.requests };
        log(`[monitor] window ${last.key} is still open (${last.requests} requests); it is analysed once it closes${config.windows.by === 'count' ? '' : ' (or set windows.analyse_last)'}`);
      }
    }
    store.flushRequests();
    const outcome: MonitorOutcome = {
      name: config.name, outDir: out,
      ingest: { ...ingest, late, untimed },
      reference: referenceSummary ?? store.getMeta<ReferenceSummary>('reference') ?? null,
      windows: results, analysedNow, alertsNow, openWindow, webhookFailures,
      settings: { alpha: config.alerts.alpha, bound: a.bound, mixture: a.jsd_mixture, bootstrap: a.bootstrap, nullWindows: a.null_windows, sample: config.windows.sample, by: config.windows.by === 'count' ? `${config.windows.size} requests` : config.windows.by, fraction: config.references.fraction },
      notes: hooks.notes ?? [], simulated: hooks.simulated ?? false, dashboardPath: null,
    };
    if (hooks.renderDashboard) {
      const { writeFileAtomic } = await import('../io/atomic-write.js');
      const path = join(out, 'dashboard.html');
      writeFileAtomic(path, hooks.renderDashboard(outcome));
      return { ...outcome, dashboardPath: path };
    }
    return outcome;
  } finally {
    store.close();
    refCache.close();
    await (encoder as Encoder | null)?.dispose?.();
  }
}
