/**
 * `mllmshift mi --x X --y Y --estimator NAME [--param k=v …] [--bootstrap B] [--seed N] [--json]`:
 * mutual information I(X; Y) in nats between paired rows of two matrices. X and Y are 2-D
 * float32/float64 `.npy` files, or one `.safetensors` file (given as --x) with tensors `x` and `y`.
 */
import { extname } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { InputError, UsageError } from '../errors.js';
import { ESTIMATOR_NAMES, estimatorDefaults, makeEstimator, type EstimatorName, type MiEstimator, type ParamValue } from '../core/estimators/index.js';
import { firstNonFinite, type Matrix } from '../core/matrix.js';
import { readNpy } from '../io/npy.js';
import { readSafetensors } from '../io/safetensors.js';
import { onnxClubBackend } from '../accel/club-train.js';
import { clubMomentsFn } from '../accel/club-moments.js';
import { KsgPool } from '../accel/ksg-pool.js';
import { addSeedOption, parseNonNegativeInt } from './options.js';
import { printJson, runAction } from './run-action.js';
import { fmt } from '../report/table.js';

interface MiCliOptions {
  x: string;
  y?: string;
  estimator: EstimatorName;
  param: string[];
  bootstrap?: string;
  seed: string;
  json?: boolean;
}

function checkMatrix(m: Matrix, where: string): Matrix {
  const bad = firstNonFinite(m.data);
  if (bad >= 0) throw new InputError(`${where}: non-finite value at row ${Math.floor(bad / m.cols)}, column ${bad % m.cols}`);
  return m;
}

/** X and Y from two .npy files or one safetensors file with tensors "x" and "y". */
export function loadMiInputs(xPath: string, yPath: string | undefined): { x: Matrix; y: Matrix } {
  const ext = extname(xPath).toLowerCase();
  if (ext === '.safetensors') {
    if (yPath !== undefined) throw new UsageError('--y must be omitted when --x is a safetensors file (it holds both "x" and "y")');
    const { tensors } = readSafetensors(xPath, ['x', 'y']);
    const get = (name: 'x' | 'y'): Matrix => {
      const t = tensors.get(name)!;
      if (t.shape.length !== 2) throw new InputError(`${xPath}: tensor "${name}" must be 2-D [n, d], found shape [${t.shape.join(', ')}]`);
      return checkMatrix({ rows: t.shape[0], cols: t.shape[1], data: t.data }, `${xPath}: tensor "${name}"`);
    };
    const x = get('x');
    const y = get('y');
    if (x.rows !== y.rows) throw new InputError(`${xPath}: tensor "x" has ${x.rows} rows but "y" has ${y.rows}; rows must be paired`);
    return { x, y };
  }
  if (ext !== '.npy') throw new InputError(`${xPath}: expected a .npy or .safetensors file, found "${ext || '(no extension)'}"`);
  if (yPath === undefined) throw new UsageError('--y is required when --x is a .npy file');
  if (extname(yPath).toLowerCase() !== '.npy') throw new InputError(`${yPath}: expected a .npy file`);
  const x = checkMatrix(readNpy(xPath), xPath);
  const y = checkMatrix(readNpy(yPath), yPath);
  if (x.rows !== y.rows) throw new InputError(`${xPath} has ${x.rows} rows but ${yPath} has ${y.rows}; rows must be paired`);
  return { x, y };
}

/** Parse repeated `k=v` into typed values using the estimator's defaults for the types. */
export function parseParams(name: EstimatorName, pairs: readonly string[]): Record<string, ParamValue> {
  const defaults = estimatorDefaults(name);
  const out: Record<string, ParamValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param "${pair}": expected key=value`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (!(key in defaults)) throw new UsageError(`--param ${key}: ${name} has no parameter "${key}"; accepted: ${Object.keys(defaults).join(', ')}`);
    const want = typeof defaults[key];
    if (want === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new UsageError(`--param ${key}: expected true or false, got "${raw}"`);
      out[key] = raw === 'true';
    } else if (want === 'number' && !(name === 'gaussian' && key === 'shrinkage' && raw === 'ledoit-wolf')) {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--param ${key}: expected a number, got "${raw}"`);
      out[key] = v;
    } else {
      out[key] = raw;
    }
  }
  return out;
}

/**
 * The estimator as `mllmshift mi` runs it: CLUB trained on onnxruntime, KSG's neighbour
 * searches on a worker pool (started on first use, for n ≥ 2,000). `close()` ends the workers.
 */
export function makeMiEstimator(name: EstimatorName, params: Record<string, ParamValue>): { estimator: MiEstimator; close(): Promise<void> } {
  const ksgPool = name === 'ksg' ? new KsgPool() : null;
  const estimator = makeEstimator(name, params, { backend: (shape) => onnxClubBackend(shape), moments: clubMomentsFn, runner: ksgPool ?? undefined });
  return { estimator, close: async () => { await ksgPool?.close(); } };
}

export function register(program: Command): void {
  const cmd = program
    .command('mi')
    .description('Mutual information I(X; Y) in nats between paired rows of two matrices')
    .requiredOption('--x <file>', '.npy (2-D float32/float64), or one .safetensors with tensors "x" and "y"')
    .option('--y <file>', '.npy paired with --x (omit when --x is safetensors)')
    .addOption(new Option('--estimator <name>', 'estimator').choices([...ESTIMATOR_NAMES]).makeOptionMandatory())
    .option('--param <k=v...>', 'estimator parameter, repeatable (e.g. --param k=3); see the docs of each estimator', [])
    .option('--bootstrap <B>', 'replicates for the 95 % interval (0: none; default 200, 50 for ksg, whose replicates are half-sample estimates): rows are resampled for gaussian, half-samples for ksg, held-out rows for the critics (infonce, nwj, mine, smile), evaluation batches for club');
  addSeedOption(cmd)
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction(async (opts: MiCliOptions) => {
        const bootstrap = opts.bootstrap === undefined ? (opts.estimator === 'ksg' ? 50 : 200) : parseNonNegativeInt(opts.bootstrap, '--bootstrap');
        const seed = parseNonNegativeInt(opts.seed, '--seed');
        const params = parseParams(opts.estimator, opts.param);
        let made;
        try {
          made = makeMiEstimator(opts.estimator, params);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const { estimator } = made;
        const { x, y } = loadMiInputs(opts.x, opts.y);
        const t0 = performance.now();
        let r;
        try {
          r = await estimator.estimate(x, y, { bootstrap, seed });
        } catch (e) {
          if (e instanceof RangeError) throw new InputError(`${opts.x}: ${e.message}`);
          throw e;
        } finally {
          await made.close();
        }
        const seconds = (performance.now() - t0) / 1000;
        const json = {
          estimator: estimator.name,
          mi: r.mi,
          ci95: r.ci95,
          ciMethod: r.ciMethod,
          n: r.n,
          dx: r.dx,
          dy: r.dy,
          seconds,
          params: estimator.params,
          seed,
          bootstrap,
          ...(r.batches ? { batches: r.batches.length } : {}),
        };
        if (opts.json) {
          printJson(json);
          return;
        }
        const ci = r.ci95 ? `  95 % CI [${fmt(r.ci95[0], 4)}, ${fmt(r.ci95[1], 4)}] (${r.ciMethod})` : '';
        process.stdout.write(`${estimator.name}: I(X; Y) = ${fmt(r.mi, 4)} nats${ci}  (n = ${r.n}, dx = ${r.dx}, dy = ${r.dy}, ${seconds.toFixed(2)} s)\n`);
      }),
    );
}
