/**
 * `mllmshift infer --dataset DIR --model NAME --base-url URL --out answers.jsonl`: one response
 * per sample from an OpenAI-compatible MLLM endpoint, into a LLaVA answer file. Rerunning the
 * same command resumes. Also holds the endpoint options shared with `judge`.
 */
import { Option, type Command } from 'commander';
import { RemoteError, UsageError } from '../errors.js';
import { loadDataset } from '../data/load.js';
import { ResponseCache, defaultCachePath } from '../llm/cache.js';
import { ChatClient, apiKeyFromEnv } from '../llm/client.js';
import { collectResponses, type InferSummary, type SampleFailure } from '../llm/infer.js';
import { printJson, runAction } from './run-action.js';
import { addImageOptions, imageOptions, parseNonNegativeInt, parsePositiveNumber, type ImageCliOptions } from './options.js';

export interface EndpointOptions {
  baseUrl?: string;
  apiKeyEnv?: string;
  concurrency: string;
  timeout: string;
  maxRetries: string;
  retryDelay: string;
  maxWait?: string;
  cache?: string | boolean;
  cacheSampled?: boolean;
}

/** Options every command that calls a chat endpoint takes. */
export function addEndpointOptions(cmd: Command, concurrencyDefault: string): Command {
  return cmd
    .option('--base-url <url>', 'OpenAI-compatible API base URL, e.g. http://127.0.0.1:8000/v1 (a query such as ?api-version=… is kept)')
    .option('--api-key-env <var>', 'environment variable holding the API key (default: OPENAI_API_KEY if set; none is sent otherwise)')
    .option('--concurrency <n>', 'requests in flight at most', concurrencyDefault)
    .option('--timeout <seconds>', 'timeout of one request', '300')
    .option('--max-retries <n>', 'retries on 429/5xx/timeouts/network errors/malformed replies (waits 1+2+4+8 s with the defaults)', '4')
    .option('--retry-delay <ms>', 'first backoff delay (doubles each retry, jittered; Retry-After wins)', '1000')
    .option('--max-wait <seconds>', 'longest wait a server may ask for with Retry-After; longer requests are cut to this (and said)', '60')
    .option('--cache <file>', 'response cache (SQLite) answering repeated identical requests (same model, parameters, prompt, image); default chat-responses.sqlite in $MLLMSHIFT_CACHE_DIR, else $XDG_CACHE_HOME/mllmshift or ~/.cache/mllmshift')
    .option('--no-cache', 'neither read nor write the response cache')
    .option('--cache-sampled', 'cache sampled requests (temperature > 0) too; by default each is asked again');
}

export function positiveInt(value: string, option: string): number {
  const v = parseNonNegativeInt(value, option);
  if (v === 0) throw new UsageError(`${option} must be at least 1, got "${value}"`);
  return v;
}

export function nonNegativeNumber(value: string, option: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`${option} must be a non-negative number, got "${value}"`);
  return v;
}

/** The client described by the endpoint options; retries are logged on stderr. */
export function endpointClient(opts: EndpointOptions): ChatClient {
  if (!opts.baseUrl) throw new UsageError('--base-url is required');
  const apiKey = apiKeyFromEnv(opts.apiKeyEnv ?? 'OPENAI_API_KEY', opts.apiKeyEnv !== undefined);
  return new ChatClient({
    baseURL: opts.baseUrl,
    apiKey,
    concurrency: positiveInt(opts.concurrency, '--concurrency'),
    timeoutMs: parsePositiveNumber(opts.timeout, '--timeout') * 1000,
    retry: {
      maxRetries: parseNonNegativeInt(opts.maxRetries, '--max-retries'),
      initialDelayMs: nonNegativeNumber(opts.retryDelay, '--retry-delay'),
      maxRetryAfterMs: nonNegativeNumber(opts.maxWait ?? '60', '--max-wait') * 1000,
    },
    onRetry: (e) => process.stderr.write(
      `mllmshift: ${opts.baseUrl}: retry ${e.retry} of ${e.maxRetries} in ${(e.delayMs / 1000).toFixed(1)} s (${e.reason})`
      + `${e.askedMs !== undefined ? `; the server asked to wait ${(e.askedMs / 1000).toFixed(0)} s, capped at ${(e.delayMs / 1000).toFixed(1)} s` : ''}\n`,
    ),
  });
}

/** The response cache the options ask for, or undefined with --no-cache. */
export function endpointCache(opts: EndpointOptions): ResponseCache | undefined {
  if (opts.cache === false) return undefined;
  return new ResponseCache(typeof opts.cache === 'string' ? opts.cache : defaultCachePath(), { sampled: opts.cacheSampled ?? false });
}

/** A progress printer for stderr: at most one line every `everyMs`, and always the last. */
export function progressPrinter(label: string, everyMs = 2000): (done: number, total: number, extra: string) => void {
  let last = 0;
  return (done, total, extra) => {
    const now = Date.now();
    if (done < total && now - last < everyMs) return;
    last = now;
    process.stderr.write(`${label}: ${done}/${total}${extra}\n`);
  };
}

/** Ctrl-C: say what is saved and how to continue, then exit 130. */
export function onInterrupt(message: () => string): () => void {
  const handler = () => {
    process.stderr.write(`\nmllmshift: interrupted; ${message()}\n`);
    process.exit(130);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/** The error for requests that failed for good, naming the first. */
export function failureError(failures: readonly SampleFailure[], total: number, what: string, stoppedEarly: boolean): RemoteError {
  const first = failures[0];
  const stop = stoppedEarly ? ` (stopped after ${failures.length} consecutive failures)` : '';
  return new RemoteError(
    `${failures.length} of ${total} ${what} failed${stop}; first, sample ${first.id}: ${first.message}. Rerun the same command to retry them`,
  );
}

interface InferCliOptions extends EndpointOptions, ImageCliOptions {
  dataset?: string;
  split?: string;
  model?: string;
  out?: string;
  maxTokens?: string;
  temperature?: string;
  topP?: string;
  seed?: string;
  system?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('infer')
    .description('collect one response per sample from an OpenAI-compatible MLLM endpoint into a LLaVA answer file (resumable)')
    .option('--dataset <path>', 'data set: dataset directory, LLaVA-Bench questions, or parquet')
    .option('--split <name>', 'parquet split (scenario) when the data set has several')
    .option('--model <name>', 'model name sent to the endpoint; also the answers\' model_id')
    .option('--out <file>', 'answer file (JSONL) to write or resume');
  addEndpointOptions(cmd, '4')
    .option('--max-tokens <n>', 'max_tokens of each response (default: the server\'s)')
    .option('--temperature <t>', 'sampling temperature (default: the server\'s)')
    .option('--top-p <p>', 'nucleus sampling top_p (default: the server\'s)')
    .option('--seed <n>', 'sampling seed sent to the endpoint')
    .addOption(new Option('--system <text>', 'system message sent before each question'))
    .option('--json', 'print one JSON document on stdout');
  addImageOptions(cmd, { outside: true, pixels: true })
    .action(runAction(async (opts: InferCliOptions) => {
      for (const [key, flag] of [['dataset', '--dataset'], ['model', '--model'], ['out', '--out']] as const) {
        if (!opts[key]) throw new UsageError(`${flag} is required`);
      }
      const client = endpointClient(opts);
      const images = imageOptions(opts);
      const samples = await loadDataset(opts.dataset!, { ...(opts.split ? { split: opts.split } : {}), ...images.load });
      const cache = endpointCache(opts);
      const outPath = opts.out!;
      let saved = 0;
      const stopInterrupt = onInterrupt(() => `${saved} of ${samples.length} answers are saved in ${outPath}; rerun the same command to continue`);
      const print = progressPrinter('infer');
      let summary: InferSummary;
      try {
        summary = await collectResponses({
          samples,
          client,
          model: opts.model!,
          outPath,
          cache,
          system: opts.system,
          ...(images.maxImagePixels !== undefined ? { maxImagePixels: images.maxImagePixels } : {}),
          maxTokens: opts.maxTokens !== undefined ? positiveInt(opts.maxTokens, '--max-tokens') : undefined,
          temperature: opts.temperature !== undefined ? nonNegativeNumber(opts.temperature, '--temperature') : undefined,
          topP: opts.topP !== undefined ? parsePositiveNumber(opts.topP, '--top-p') : undefined,
          seed: opts.seed !== undefined ? parseNonNegativeInt(opts.seed, '--seed') : undefined,
          onProgress: (p) => {
            saved = p.done;
            print(p.done, p.total, ` answered (${p.fromCache} from cache, ${p.failed} failed)`);
          },
        });
      } finally {
        stopInterrupt();
        cache?.close();
      }
      const result = {
        out: summary.outPath,
        total: summary.total,
        resumed: summary.resumed,
        written: summary.written,
        fromCache: summary.fromCache,
        endpoint: client.baseURL,
        cache: cache?.path ?? null,
        failed: summary.failures,
        peakConcurrency: summary.peakConcurrency,
      };
      if (opts.json) printJson(result);
      else {
        process.stderr.write(
          `infer: ${summary.resumed + summary.written}/${summary.total} answers in ${summary.outPath} `
          + `(${summary.resumed} already there, ${summary.written} new: ${summary.written - summary.fromCache} asked of ${client.baseURL}`
          + `, ${summary.fromCache} from the response cache${cache ? ` ${cache.path}` : ''} (earlier answers of that endpoint))\n`,
        );
      }
      if (summary.failures.length > 0) throw failureError(summary.failures, summary.total, 'requests', summary.stoppedEarly);
    }));
}
