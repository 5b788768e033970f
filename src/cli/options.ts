/**
 * Options shared by the estimating commands (DESIGN.md §6), parsed into typed values.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { BoundForm } from '../core/emi.js';
import type { JsdMixture } from '../core/jsd.js';
import { DEFAULT_MAX_IMAGE_PIXELS } from '../io/image-format.js';

export function addEstimatorOption(cmd: Command): Command {
  return cmd
    .requiredOption('--estimator <path>', 'CLUB estimator checkpoint: "paper" (the authors\' CLUB_global.pt from `models pull --only club`), a .pt or a .safetensors from train-estimator')
    .option('--allow-encoder-mismatch', 'use the estimator on embeddings of other encoders than those it was trained for (the authors\' .pt: the paper encoders)');
}

export function addBoundOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--bound <form>', 'bound form (E3)').choices(['scale-adjusted', 'full']).default('scale-adjusted'))
    .option('--entropy-scaler <H>', 'entropy scale H of the full bound', '1')
    .addOption(new Option('--jsd-mixture <kind>', 'JSD mixture weights: equal (true JSD) or sample-weighted (authors\' code)').choices(['equal', 'sample-weighted']).default('equal'));
}

export function addSeedOption(cmd: Command): Command {
  return cmd.option('--seed <n>', 'random seed', '0');
}

export function parsePositiveNumber(value: string, option: string): number {
  const v = Number(value);
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`${option} must be a positive number, got "${value}"`);
  return v;
}

export function parseNonNegativeInt(value: string, option: string): number {
  const v = Number(value);
  if (!Number.isSafeInteger(v) || v < 0) throw new UsageError(`${option} must be a non-negative integer, got "${value}"`);
  return v;
}

export interface BoundOptions {
  readonly bound: BoundForm;
  readonly entropyScaler: number;
  readonly jsdMixture: JsdMixture;
}

export function parseBoundOptions(opts: { bound: string; entropyScaler: string; jsdMixture: string }): BoundOptions {
  return {
    bound: opts.bound as BoundForm,
    entropyScaler: parsePositiveNumber(opts.entropyScaler, '--entropy-scaler'),
    jsdMixture: opts.jsdMixture as JsdMixture,
  };
}

/** `--images DIR`, `--allow-images-outside` (not for shift: it never copies an outside file) and `--max-image-pixels N`. */
export function addImageOptions(cmd: Command, has: { readonly outside: boolean; readonly pixels: boolean }): Command {
  cmd.option('--images <dir>', 'folder the data set\'s images may be in besides its own folder (LLaVA-Bench layout: where they are looked up)');
  if (has.outside) cmd.option('--allow-images-outside', 'accept image paths that resolve outside the data set and --images folders');
  if (has.pixels) cmd.option('--max-image-pixels <n>', `refuse images with more decoded pixels than this (default ${DEFAULT_MAX_IMAGE_PIXELS}, PIL's bomb threshold)`);
  return cmd;
}

export interface ImageCliOptions {
  images?: string;
  allowImagesOutside?: boolean;
  maxImagePixels?: string;
}

/** The loader's image options and the pixel cap the image options ask for. */
export function imageOptions(opts: ImageCliOptions): { load: { images?: string; allowImagesOutside?: boolean }; maxImagePixels?: number } {
  let max: number | undefined;
  if (opts.maxImagePixels !== undefined) {
    max = parseNonNegativeInt(opts.maxImagePixels, '--max-image-pixels');
    if (max === 0) throw new UsageError(`--max-image-pixels must be at least 1, got "${opts.maxImagePixels}"`);
  }
  return {
    load: { ...(opts.images ? { images: opts.images } : {}), ...(opts.allowImagesOutside ? { allowImagesOutside: true } : {}) },
    ...(max !== undefined ? { maxImagePixels: max } : {}),
  };
}
