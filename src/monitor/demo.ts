/**
 * `mllmshift monitor --demo`: a SIMULATED deployment, end to end, offline. The demo's
 * procedural scenes (src/demo/scenes.ts) are the traffic; the simulated MLLM on 127.0.0.1
 * (src/demo/simulated-endpoint.ts) answers every request and a simulated reference model
 * ("sim-reference", always correct) answers the monitor's reference requests. One window is
 * one day; the schedule is known:
 *   reference weeks → stationary days → a GRADUAL shift (the share of low-contrast images,
 *   ImageNet-C contrast severity 4, rises linearly to 100 % over `gradual` days) → recovery (clean again) →
 *   a SUDDEN shift (every image frosted, severity 5, from one day to the next).
 * The log is written as OpenAI chat-completions JSONL with image files, then monitored like any
 * log (`runMonitor`), and the outcome is scored against the schedule.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { Rng } from '../core/random.js';
import { demoBenchmark } from '../demo/scenes.js';
import { SimulatedEndpoint, type SimulatedKey } from '../demo/simulated-endpoint.js';
import { ChatClient } from '../llm/client.js';
import { sampleRequest } from '../llm/infer.js';
import { corruptImage } from '../shift/image.js';
import { FrostTextures } from '../shift/frost.js';
import { encodeImage } from '../shift/pixels.js';
import { decodeImage, toFloatImage } from '../io/image.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { validateMonitorConfig } from './config.js';
import { openAiLogLine } from './ingest-openai.js';
import { runMonitor, type AlertEvent, type MonitorOutcome } from './monitor.js';

export const MONITOR_DEMO_NOTICE =
  'This is a SIMULATION: the traffic is procedural scenes, the deployed "model" and the reference model are simulators on 127.0.0.1, the shifts are injected on a known schedule, and the encoders are the built-in stand-ins. No real MLLM was monitored.';

export interface DemoSchedule {
  readonly reference: number;
  readonly stationary: number;
  readonly gradual: number;
  readonly recovery: number;
  readonly sudden: number;
}

export const DEFAULT_SCHEDULE: DemoSchedule = { reference: 7, stationary: 7, gradual: 8, recovery: 3, sudden: 3 };

export interface MonitorDemoOptions {
  readonly outDir: string;
  readonly seed?: number;
  readonly schedule?: DemoSchedule;
  /** Requests per day (default 60). */
  readonly perWindow?: number;
  /** Bootstrap replicates per window (default 20). */
  readonly bootstrap?: number;
  /** Requests analysed per window (default 40), rows of the reference set (64), permutations (40), drifted samples kept (5). */
  readonly sample?: number;
  readonly referenceSize?: number;
  readonly nullWindows?: number;
  readonly topSamples?: number;
  /** POST alerts here (the monitor's alerts.webhook). */
  readonly webhook?: string;
  readonly scenes?: number;
  readonly log?: (line: string) => void;
  readonly onAlert?: (a: AlertEvent) => void;
  readonly renderDashboard?: (m: MonitorOutcome) => string;
}

export interface DemoScore {
  /** First window of each phase (0-based window index). */
  readonly phases: { readonly stationary: number; readonly gradual: number; readonly recovery: number; readonly sudden: number; readonly end: number };
  /** Alerts (any statistic) in stationary windows. */
  readonly stationaryAlarms: number;
  /** Windows from the sudden shift's start to its first alert (0 = the first shifted day), null if none. */
  readonly suddenDelay: number | null;
  /** First alert during the gradual shift, and the first window whose bound reached the midpoint between the stationary level and the ramp's end level. */
  readonly gradualAlert: number | null;
  readonly gradualMidpoint: number | null;
  readonly boundStationary: number | null;
  readonly boundRampEnd: number | null;
}

export interface MonitorDemoOutcome {
  readonly monitor: MonitorOutcome;
  readonly score: DemoScore;
  readonly logPath: string;
}

/** The share of shifted requests and the corruption on day `w` of the schedule. */
export function dayRegime(s: DemoSchedule, w: number): { readonly shifted: number; readonly kind: 'blur' | 'frost' | null } {
  const g0 = s.reference + s.stationary;
  const r0 = g0 + s.gradual;
  const s0 = r0 + s.recovery;
  if (w >= g0 && w < r0) return { shifted: (w - g0 + 1) / s.gradual, kind: 'blur' };
  if (w >= s0) return { shifted: 1, kind: 'frost' };
  return { shifted: 0, kind: null };
}

/** Scores a monitor outcome against the schedule (see DemoScore). */
export function scoreDemo(s: DemoSchedule, m: MonitorOutcome): DemoScore {
  const g0 = s.reference + s.stationary;
  const r0 = g0 + s.gradual;
  const s0 = r0 + s.recovery;
  const end = s0 + s.sudden;
  const byIndex = new Map(m.windows.map((w) => [w.index, w]));
  const alerted = (i: number): boolean => byIndex.get(i)?.alert === true;
  let stationaryAlarms = 0;
  for (let i = s.reference; i < g0; i++) if (alerted(i)) stationaryAlarms++;
  let suddenDelay: number | null = null;
  for (let i = s0; i < end; i++) if (alerted(i)) { suddenDelay = i - s0; break; }
  let gradualAlert: number | null = null;
  for (let i = g0; i < r0; i++) if (alerted(i)) { gradualAlert = i; break; }
  const bounds = (from: number, to: number): number[] => {
    const out: number[] = [];
    for (let i = from; i < to; i++) { const b = byIndex.get(i)?.bound; if (b !== undefined) out.push(b); }
    return out;
  };
  const stat = bounds(s.reference, g0);
  const boundStationary = stat.length > 0 ? stat.reduce((x, y) => x + y, 0) / stat.length : null;
  const boundRampEnd = s.gradual > 0 ? (byIndex.get(r0 - 1)?.bound ?? null) : null;
  let gradualMidpoint: number | null = null;
  if (boundStationary !== null && boundRampEnd !== null) {
    const mid = (boundStationary + boundRampEnd) / 2;
    for (let i = g0; i < r0; i++) if ((byIndex.get(i)?.bound ?? -Infinity) >= mid) { gradualMidpoint = i; break; }
  }
  return { phases: { stationary: s.reference, gradual: g0, recovery: r0, sudden: s0, end }, stationaryAlarms, suddenDelay, gradualAlert, gradualMidpoint, boundStationary, boundRampEnd };
}

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 5);

export async function runMonitorDemo(opts: MonitorDemoOptions): Promise<MonitorDemoOutcome> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const seed = opts.seed ?? 0;
  const schedule = opts.schedule ?? DEFAULT_SCHEDULE;
  const perWindow = opts.perWindow ?? 60;
  const out = opts.outDir;
  const imagesDir = join(out, 'traffic', 'images');
  mkdirSync(imagesDir, { recursive: true });
  log(`[demo] ${MONITOR_DEMO_NOTICE}`);

  // The scenes and their three image conditions, as files the log refers to.
  const bench = await demoBenchmark(opts.scenes ?? 24, seed);
  const frost = FrostTextures.procedural(seed);
  const images: SimulatedKey['images'] & Map<string, { sceneId: string; visual: number }> = new Map();
  const files = new Map<string, { clean: string; blur: string; frost: string }>();
  const seen = new Set<string>();
  for (const sample of bench.samples) {
    const sceneId = sample.id.replace(/_(conv|detail|complex)$/, '');
    if (seen.has(sceneId) || sample.image.kind !== 'bytes') continue;
    seen.add(sceneId);
    const clean = sample.image.bytes;
    const decoded = toFloatImage((await decodeImage(clean, `scene ${sceneId}`)).image);
    const variants = {
      clean,
      blur: await encodeImage(await corruptImage(decoded, 'contrast', 4, { rng: new Rng(seed) }), 'jpeg', { quality: 92 }),
      frost: await encodeImage(await corruptImage(decoded, 'frost', 5, { rng: new Rng(seed + 17), frost }), 'jpeg', { quality: 92 }),
    };
    const names = { clean: `${sceneId}.jpg`, blur: `${sceneId}_contrast4.jpg`, frost: `${sceneId}_frost5.jpg` };
    for (const k of ['clean', 'blur', 'frost'] as const) {
      writeFileSync(join(imagesDir, names[k]), variants[k]);
      images.set(createHash('sha256').update(variants[k]).digest('hex'), { sceneId, visual: k === 'clean' ? 0 : k === 'blur' ? 4 : 6.25 });
    }
    files.set(sceneId, names);
  }
  const questions = new Map(bench.questions.map((q) => [q.question, [] as { question: typeof q; text: number }[]]));
  for (const q of bench.questions) questions.get(q.question)!.push({ question: q, text: 0 });
  const endpoint = new SimulatedEndpoint({ images, questions }, bench.questions);
  const baseUrl = await endpoint.start();
  try {
    // The deployment: every day, `perWindow` requests answered by the simulated model.
    const client = new ChatClient({ baseURL: baseUrl, concurrency: 8, timeoutMs: 30_000 });
    const rng = new Rng(seed + 101);
    const days = schedule.reference + schedule.stationary + schedule.gradual + schedule.recovery + schedule.sudden;
    const lines: string[] = [];
    for (let d = 0; d < days; d++) {
      const regime = dayRegime(schedule, d);
      const day = await Promise.all(Array.from({ length: perWindow }, async (_, i) => {
        const q = bench.questions[rng.int(bench.questions.length)];
        const shifted = rng.next() < regime.shifted;
        const file = files.get(q.sceneId)![shifted ? (regime.kind === 'frost' ? 'frost' : 'blur') : 'clean'];
        const sample = { id: `d${d}-${i}`, image: { kind: 'file' as const, path: join(imagesDir, file) }, question: q.question };
        const request = await sampleRequest(sample, 'sim-mllm', { maxTokens: 256, temperature: 0 });
        const answer = (await client.complete(request)).text;
        return openAiLogLine({ id: sample.id, time: START + d * DAY + Math.floor((i * DAY) / perWindow), model: 'sim-mllm', imageUrl: file, question: q.question, answer });
      }));
      lines.push(...day);
    }
    const logPath = join(out, 'traffic', 'traffic.jsonl');
    writeFileAtomic(logPath, `${lines.join('\n')}\n`);
    log(`[demo] simulated ${days} days × ${perWindow} requests (${endpoint.requests} requests to the simulated model) → ${logPath}`);

    const config = {
      name: 'mllmshift monitor demo (simulation)',
      out: 'monitor',
      traffic: { format: 'openai', path: 'traffic/traffic.jsonl', images: 'traffic/images' },
      windows: { by: 'day', sample: opts.sample ?? 40, analyse_last: true },
      reference: { windows: schedule.reference, size: opts.referenceSize ?? 64 },
      references: { model: { name: 'sim-reference', base_url: baseUrl, concurrency: 8, max_tokens: 256, temperature: 0, timeout_s: 30 }, fraction: 0.5 },
      encoders: { kind: 'builtin', batch_size: 32 },
      estimator: { train: { epochs: 20, batch_size: 128, lr: 1e-3, hidden: 250, seed } },
      analysis: { bound: 'scale-adjusted', entropy_scaler: 1, jsd_mixture: 'equal', bootstrap: opts.bootstrap ?? 20, null_windows: opts.nullWindows ?? 40, top_samples: opts.topSamples ?? 5, seed },
      alerts: { alpha: 0.01, emid_min_effect: 0, bound_min_effect: 0, ...(opts.webhook ? { webhook: opts.webhook } : {}) },
    };
    const configPath = join(out, 'monitor-demo.yaml');
    writeFileSync(configPath, `# The configuration this demo ran (its endpoints were simulators on ${baseUrl}, gone after the demo).\n${toYaml(config)}`);
    const monitor = await runMonitor(validateMonitorConfig(config, configPath), {
      log, onAlert: opts.onAlert, renderDashboard: opts.renderDashboard, simulated: true,
      notes: [MONITOR_DEMO_NOTICE, `Schedule (one window = one day): reference days 0–${schedule.reference - 1}; stationary from day ${schedule.reference}; gradual contrast loss from day ${schedule.reference + schedule.stationary} over ${schedule.gradual} days; recovery from day ${schedule.reference + schedule.stationary + schedule.gradual}; sudden frost from day ${schedule.reference + schedule.stationary + schedule.gradual + schedule.recovery}.`],
    });
    return { monitor, score: scoreDemo(schedule, monitor), logPath };
  } finally {
    await endpoint.stop();
  }
}
