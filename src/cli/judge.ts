/**
 * `mllmshift judge --dataset DIR --answers FILE --judge-model NAME --base-url URL --out FILE`:
 * the LLaVA-Bench LLM judge over a model's answers (resumable), and
 * `mllmshift judge summarize FILE… [--json]`: relative preference score, win rate, failed
 * judgments and bootstrap intervals per category.
 */
import { Option, type Command } from 'commander';
import { InputError, UsageError } from '../errors.js';
import { loadDataset } from '../data/load.js';
import { checkAnswerPrompts, readAnswerFile, type ResponseRecord } from '../data/responses.js';
import { judgeAnswers, type JudgeSummary } from '../llm/judge.js';
import type { DataLayout } from '../llm/judge-protocol.js';
import { chooseJudgeProtocol } from '../pipeline/judge-protocol-choice.js';
import { formatReviewsSummary, readReviewFile, summarizeReviews } from '../llm/summary.js';
import {
  addEndpointOptions, endpointCache, endpointClient, failureError, nonNegativeNumber, onInterrupt, positiveInt, progressPrinter,
  type EndpointOptions,
} from './infer.js';
import { addImageOptions, imageOptions, parseNonNegativeInt, type ImageCliOptions } from './options.js';
import { printJson, runAction } from './run-action.js';

interface JudgeCliOptions extends EndpointOptions, ImageCliOptions {
  dataset?: string;
  split?: string;
  answers?: string;
  references?: string;
  judgeModel?: string;
  out?: string;
  bothOrders?: boolean;
  protocol?: string;
  rules?: string;
  systemPrompt?: string;
  layout?: DataLayout;
  modelDir?: string;
  maxTokens?: string;
  temperature?: string;
  parseRetries?: string;
  retryFailed?: boolean;
  allowPromptMismatch?: boolean;
  json?: boolean;
}

interface SummarizeCliOptions {
  resamples: string;
  seed: string;
  level: string;
  json?: boolean;
}

function answersById(file: string): Map<string, ResponseRecord> {
  return new Map(readAnswerFile(file).map((r) => [r.questionId, r]));
}

export function register(program: Command): void {
  const judge = program
    .command('judge')
    .description('score a model\'s answers against reference answers with an LLM judge (LLaVA-Bench protocol; resumable)')
    .option('--dataset <path>', 'data set the answers are for (questions, reference answers, categories, context)')
    .option('--split <name>', 'parquet split (scenario) when the data set has several')
    .option('--answers <file>', 'the model\'s answer file (LLaVA JSONL, e.g. from `mllmshift infer`)')
    .option('--references <file>', 'reference answers as a LLaVA answer file (default: the data set\'s reference answers)')
    .option('--judge-model <name>', 'judge model name sent to the endpoint')
    .option('--out <file>', 'reviews file (JSONL) to write or resume')
    .option('--both-orders', 'also judge with the answers swapped and average the two verdicts (cancels position bias)')
    .option('--protocol <name|file>', 'judge protocol: mllmshift (the project\'s rules, default), llava-bench (LLaVA\'s rule.json and system line, from `models pull --only llava-rules`) or a protocol JSON file')
    .option('--rules <file>', 'a rule file in LLaVA\'s format ({"llava_bench_conv": {"role", "prompt"}, …}); LLaVA\'s content layout and parse_score')
    .option('--system-prompt <text>', 'the judge\'s system message (required with --rules)')
    .addOption(new Option('--layout <layout>', 'which LLaVA script\'s rule keys: coco (category) or in-the-wild (llava_bench_<category>); default: from the contexts').choices(['coco', 'in-the-wild']))
    .option('--model-dir <dir>', 'models cache holding the pulled LLaVA rules');
  addEndpointOptions(judge, '4')
    .option('--max-tokens <n>', 'max_tokens of each judge reply (default: the protocol\'s, 1024)')
    .option('--temperature <t>', 'judge sampling temperature (default: the protocol\'s, 0.2)')
    .option('--parse-retries <n>', 'extra requests when a reply cannot be scored (default: the protocol\'s: 2, llava-bench 0)')
    .option('--retry-failed', 'judge again the items whose earlier judgment could not be parsed')
    .option('--allow-prompt-mismatch', 'judge answers whose prompt differs from the data set\'s question (warn instead of refusing)')
    .option('--json', 'print one JSON document on stdout');
  addImageOptions(judge, { outside: true, pixels: false })
    .action(runAction(async (opts: JudgeCliOptions) => {
      for (const [key, flag] of [['dataset', '--dataset'], ['answers', '--answers'], ['judgeModel', '--judge-model'], ['out', '--out']] as const) {
        if (!opts[key]) throw new UsageError(`${flag} is required`);
      }
      const protocol = chooseJudgeProtocol(opts);
      const client = endpointClient(opts);
      const samples = await loadDataset(opts.dataset!, { ...(opts.split ? { split: opts.split } : {}), ...imageOptions(opts).load });
      const answers = answersById(opts.answers!);
      const references = opts.references ? answersById(opts.references) : undefined;
      for (const [records, file] of [[answers, opts.answers!], ...(references ? [[references, opts.references!] as const] : [])] as const) {
        const mismatch = checkAnswerPrompts(samples, records, file, opts.allowPromptMismatch);
        if (mismatch !== undefined) process.stderr.write(`mllmshift: warning: ${mismatch}\n`);
      }
      const cache = endpointCache(opts);
      const outPath = opts.out!;
      let saved = 0;
      const stopInterrupt = onInterrupt(() => `${saved} of ${samples.length} reviews are saved in ${outPath}; rerun the same command to continue`);
      const print = progressPrinter('judge');
      let summary: JudgeSummary;
      try {
        summary = await judgeAnswers({
          samples,
          answers,
          references,
          client,
          judgeModel: opts.judgeModel!,
          outPath,
          cache,
          bothOrders: opts.bothOrders ?? false,
          protocol,
          ...(opts.layout ? { layout: opts.layout } : {}),
          ...(opts.maxTokens !== undefined ? { maxTokens: positiveInt(opts.maxTokens, '--max-tokens') } : {}),
          ...(opts.temperature !== undefined ? { temperature: nonNegativeNumber(opts.temperature, '--temperature') } : {}),
          ...(opts.parseRetries !== undefined ? { parseRetries: parseNonNegativeInt(opts.parseRetries, '--parse-retries') } : {}),
          retryFailed: opts.retryFailed ?? false,
          onProgress: (p) => {
            saved = p.done;
            print(p.done, p.total, ` judged (${p.unparsable} unparsable, ${p.failed} failed)`);
          },
        });
      } finally {
        stopInterrupt();
        cache?.close();
      }
      const result = {
        out: summary.outPath,
        protocol: protocol.name,
        total: summary.total,
        resumed: summary.resumed,
        written: summary.written,
        unparsable: summary.unparsable,
        parseRetries: summary.parseRetries,
        failed: summary.failures,
      };
      if (opts.json) printJson(result);
      else {
        process.stderr.write(
          `judge (protocol ${protocol.name}): ${summary.resumed + summary.written}/${summary.total} reviews in ${summary.outPath} `
          + `(${summary.resumed} already there, ${summary.written} new; ${summary.unparsable} could not be scored`
          + `${summary.unparsable > 0 ? ', see their "error" field; --retry-failed judges them again' : ''})\n`,
        );
      }
      if (summary.failures.length > 0) throw failureError(summary.failures, summary.total, 'judge requests', summary.stoppedEarly);
    }));

  judge
    .command('summarize')
    .description('relative preference score (bootstrap CI), win rate (Wilson CI; ties count ½, shown), failed count of review files, per category')
    .argument('<files...>', 'reviews JSONL files (ours or LLaVA\'s)')
    .option('--resamples <n>', 'bootstrap resamples (0: no intervals)', '2000')
    .option('--seed <n>', 'bootstrap seed', '0')
    .option('--level <p>', 'confidence level', '0.95')
    .option('--json', 'print one JSON document on stdout')
    .action(runAction((files: string[], opts: SummarizeCliOptions) => {
      // `judge summarize FILE --json`: commander hands a flag that both commands define to the parent.
      const json = opts.json === true || judge.opts().json === true;
      const resamples = parseNonNegativeInt(opts.resamples, '--resamples');
      const seed = parseNonNegativeInt(opts.seed, '--seed');
      const level = Number(opts.level);
      if (!(level > 0 && level < 1)) throw new UsageError(`--level must be in (0, 1), got "${opts.level}"`);
      const summaries = files.map((file) => {
        const reviews = readReviewFile(file);
        if (reviews.reviews.length === 0) throw new InputError(`${file}: no reviews`);
        return { file, protocols: reviews.protocols, incompleteLastLine: reviews.torn, ...summarizeReviews(reviews.reviews, { resamples, seed, level }) };
      });
      for (const s of summaries) {
        if (s.incompleteLastLine) process.stderr.write(`mllmshift: ${s.file}: the last line is incomplete (is the judge still running?); it is ignored\n`);
      }
      if (json) {
        printJson({ files: summaries });
        return;
      }
      process.stdout.write(`${summaries.map((s) => formatReviewsSummary(s.file, s, s.protocols)).join('\n\n')}\n`);
    }));
}
