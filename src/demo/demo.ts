/**
 * `mllmshift demo`: the whole pipeline on an embedded default, with no network and no model
 * downloads — a SIMULATION that demonstrates the pipeline, not a measurement of any real model:
 * a procedural benchmark (scenes with known contents, questions with known answers), its 35
 * synthetic-grid scenarios (defocus blur / frost × synonym replacement / keyboard typos), a
 * simulated MLLM whose accuracy falls with the shift in a known way and a simulated judge (both
 * served on 127.0.0.1), the built-in encoders, a CLUB estimator trained on the spot, and the
 * full report. The EMI ranking of the scenarios is compared with the simulated accuracy.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { readDatasetDir, writeDatasetDir } from '../data/dataset-dir.js';
import { readAnswerFile } from '../data/responses.js';
import { parseScenario } from '../data/scenarios.js';
import { readImageBytes } from '../data/load.js';
import { spearman } from '../core/stats.js';
import { validateRunConfig } from '../pipeline/config.js';
import { runStudy, type RunOutcome } from '../pipeline/run.js';
import type { RenderReport, RunResults } from '../report/run-results.js';
import { demoBenchmark, type SceneQuestion } from './scenes.js';
import { SimulatedEndpoint, type SimulatedKey } from './simulated-endpoint.js';
import { createHash } from 'node:crypto';

export const DEMO_NOTICE =
  'This is a SIMULATION demonstrating the pipeline: the benchmark is procedural, the "model" and the "judge" are simulators on 127.0.0.1 whose accuracy falls with the shift in a known way, and the encoders are the built-in stand-ins. No real MLLM was measured.';

export interface DemoOptions {
  readonly outDir: string;
  /** Scenes in the benchmark (3 questions each); default 10. */
  readonly scenes?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
  readonly renderReport?: RenderReport;
  /** Bootstrap replicates and permutations (default 100 each). */
  readonly resamples?: number;
  readonly epochs?: number;
  /** Scenario names instead of the full synthetic grid (quick runs and tests). */
  readonly scenarios?: readonly string[];
  /** Progress bars on stderr (default true). */
  readonly progress?: boolean;
}

export interface DemoOutcome extends RunOutcome {
  /** Spearman ρ between scenario EMI and simulated accuracy. */
  readonly spearmanEmiAccuracy: number | null;
}

/** Image severity as the simulator weighs it: frost occludes, so it counts 1.25× blur. */
function visualLevel(name: string): number {
  const s = parseScenario(name);
  if (!s.image) return 0;
  return s.image.kind === 'frost' ? 1.25 * s.image.severity : s.image.severity;
}

function textLevel(name: string): number {
  const s = parseScenario(name);
  return s.text && s.text.kind !== 'translate' ? s.text.level : 0;
}

export async function runDemo(opts: DemoOptions): Promise<DemoOutcome> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const seed = opts.seed ?? 0;
  const out = resolve(opts.outDir);
  mkdirSync(out, { recursive: true });
  const source = join(out, 'source');
  log(`[demo] ${DEMO_NOTICE}`);
  const bench = await demoBenchmark(opts.scenes ?? 10, seed);
  writeDatasetDir(source, bench.samples, { name: 'llava_bench_coco', generator: 'mllmshift demo (procedural scenes)', seed, scenes: bench.scenes.length });
  const byId = new Map<string, SceneQuestion>(bench.questions.map((q) => [q.id, q]));

  const images = new Map<string, { sceneId: string; visual: number }>();
  const questions = new Map<string, { question: SceneQuestion; text: number }[]>();
  const key: SimulatedKey = { images, questions };
  const endpoint = new SimulatedEndpoint(key, bench.questions);
  const baseUrl = await endpoint.start();
  const resamples = opts.resamples ?? 100;
  const config = {
    name: 'mllmshift demo (simulation)',
    out: 'run',
    data: { id: 'source', id_name: 'llava_bench_coco', scenarios: opts.scenarios ? { names: [...opts.scenarios] } : { grid: 'synthetic' }, seed },
    model: { name: 'sim-mllm', base_url: baseUrl, concurrency: 8, max_tokens: 256, temperature: 0, timeout_s: 30 },
    judge: { name: 'sim-judge', base_url: baseUrl, concurrency: 8, max_tokens: 256, temperature: 0, timeout_s: 30, both_orders: false },
    encoders: { kind: 'builtin', batch_size: 32 },
    estimator: { train: { epochs: opts.epochs ?? 20, batch_size: 256, lr: 1e-3, hidden: 250, pairs: 'both', val_fraction: 0.1, seed } },
    analysis: { bound: 'scale-adjusted', entropy_scaler: 1, jsd_mixture: 'equal', bootstrap: resamples, permutations: resamples, seed },
    report: { html: true, examples: 6 },
  };
  const configPath = join(out, 'demo.yaml');
  writeFileSync(configPath, `# The configuration this demo ran (its endpoint was a simulator on ${baseUrl}, gone after the demo).\n${toYaml(config)}`);
  try {
    const outcome = await runStudy(validateRunConfig(config, configPath), {
      log,
      progress: opts.progress,
      simulated: true,
      notes: [DEMO_NOTICE, 'Simulated accuracy: 0.92 on the ID set, −0.07 per image-severity step (frost weighs 1.25×), −0.05 per text-level step, at least 0.1.'],
      renderReport: opts.renderReport,
      afterShift: async (scenarios) => {
        for (const s of scenarios) {
          const v = visualLevel(s.name);
          const t = textLevel(s.name);
          for (const sample of readDatasetDir(s.dataset)) {
            const q = byId.get(sample.id);
            if (!q) continue;
            const hash = createHash('sha256').update(await readImageBytes(sample)).digest('hex');
            images.set(hash, { sceneId: q.sceneId, visual: v });
            const list = questions.get(sample.question) ?? [];
            if (!list.some((c) => c.question.id === q.id && c.text === t)) list.push({ question: q, text: t });
            questions.set(sample.question, list);
          }
        }
      },
      accuracyOf: (_scenario, responsesPath) => {
        const answers = readAnswerFile(responsesPath);
        return answers.filter((a) => endpoint.isCorrect(a.text)).length / Math.max(1, answers.length);
      },
    });
    const acc = outcome.results.scenarios.map((s) => s.simulatedAccuracy ?? 0);
    const rho = spearman(outcome.results.scenarios.map((s) => s.emi), acc).statistic;
    return { ...outcome, spearmanEmiAccuracy: rho };
  } finally {
    await endpoint.stop();
  }
}

/** The results.json of a finished demo (for tests). */
export function readDemoResults(outDir: string): RunResults {
  return JSON.parse(readFileSync(join(resolve(outDir), 'run', 'results.json'), 'utf8')) as RunResults;
}
