/**
 * `mllmshift train-estimator SET… --out CKPT.safetensors [--pairs reference|model|both]
 * [--epochs N] [--batch-size N] [--lr X] [--hidden N] [--val-fraction F] [--patience N]
 * [--variant paper|calibrated] [--seed N] [--json]`: train a CLUB estimator on embedding sets.
 */
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { readEmbeddingSet } from '../io/embedding-set.js';
import { CLUB_TRAIN_DEFAULTS, jsClubBackend, type ClubVariant } from '../core/estimators/club-train.js';
import { onnxClubBackend } from '../accel/club-train.js';
import { trainEstimator, type PairsMode } from '../pipeline/train-estimator.js';
import { addSeedOption, parseNonNegativeInt, parsePositiveNumber } from './options.js';
import { printJson, runAction } from './run-action.js';

interface TrainCliOptions {
  out: string;
  pairs: PairsMode;
  epochs: string;
  batchSize: string;
  lr: string;
  hidden: string;
  valFraction: string;
  patience: string;
  variant: ClubVariant;
  seed: string;
  json?: boolean;
}

function positiveInt(v: string, name: string): number {
  const n = parseNonNegativeInt(v, name);
  if (n < 1) throw new UsageError(`${name} must be at least 1, got "${v}"`);
  return n;
}

export function register(program: Command): void {
  const d = CLUB_TRAIN_DEFAULTS;
  const cmd = program
    .command('train-estimator')
    .description('Train a CLUB estimator q(y|x) on embedding sets (Gaussian log-likelihood, Adam, early stopping on held-out rows, best epoch kept)')
    .argument('<sets...>', 'embedding sets (safetensors/npz with x_v, x_t, y_hat, y)')
    .requiredOption('--out <file>', 'output checkpoint (.safetensors)')
    .addOption(new Option('--pairs <which>', 'training targets: reference responses y, model responses ŷ, or both').choices(['reference', 'model', 'both']).default('reference'))
    .option('--epochs <n>', 'maximum epochs', String(d.epochs))
    .option('--batch-size <n>', 'rows per Adam step', String(d.batchSize))
    .option('--lr <x>', 'Adam learning rate', String(d.lr))
    .option('--hidden <n>', 'hidden width of both heads (the released CLUB_global.pt uses 250)', String(d.hidden))
    .option('--val-fraction <f>', 'share of rows held out for early stopping', String(d.valFraction))
    .option('--patience <n>', 'stop after this many epochs without a better held-out loss', String(d.patience))
    .addOption(new Option('--variant <v>', 'paper: tanh-bounded log-variance on raw inputs (the released architecture); calibrated: unbounded log-variance, standardised inputs').choices(['paper', 'calibrated']).default(d.variant));
  addSeedOption(cmd)
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction(async (files: string[], opts: TrainCliOptions) => {
        if (extname(opts.out).toLowerCase() !== '.safetensors') throw new UsageError(`--out ${opts.out}: the checkpoint must be a .safetensors file`);
        const valFraction = parsePositiveNumber(opts.valFraction, '--val-fraction');
        if (valFraction >= 1) throw new UsageError(`--val-fraction must be below 1, got "${opts.valFraction}"`);
        const config = {
          epochs: positiveInt(opts.epochs, '--epochs'),
          batchSize: positiveInt(opts.batchSize, '--batch-size'),
          lr: parsePositiveNumber(opts.lr, '--lr'),
          hidden: positiveInt(opts.hidden, '--hidden'),
          patience: positiveInt(opts.patience, '--patience'),
          valFraction,
          variant: opts.variant,
          seed: parseNonNegativeInt(opts.seed, '--seed'),
        };
        const sets = files.map((f) => readEmbeddingSet(f));
        const t0 = performance.now();
        const result = await trainEstimator(sets, opts.out, {
          ...config,
          pairs: opts.pairs,
          backend: async (shape) => (process.env.MLLMSHIFT_ACCEL === 'js' ? jsClubBackend(shape) : onnxClubBackend(shape)),
          onEpoch: (e, tr, va) => process.stderr.write(`epoch ${e}: train loss ${tr.toFixed(4)}, held-out loss ${va.toFixed(4)}\n`),
        });
        const seconds = (performance.now() - t0) / 1000;
        const summary = {
          out: opts.out,
          best_epoch: result.bestEpoch,
          epochs_run: result.valLoss.length,
          best_val_loss: result.bestValLoss,
          train_rows: result.trainRows,
          val_rows: result.valRows,
          pairs: opts.pairs,
          config: result.config,
          backend: result.backend,
          seconds,
        };
        if (opts.json) printJson(summary);
        else process.stdout.write(`wrote ${opts.out}: best epoch ${result.bestEpoch} of ${result.valLoss.length}, held-out loss ${summary.best_val_loss.toFixed(4)} (${result.trainRows} train / ${result.valRows} held-out rows, ${seconds.toFixed(1)} s)\n`);
      }),
    );
}
