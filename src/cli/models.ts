/**
 * `mllmshift models status [--model-dir DIR]`: where the paper encoders' files are (or what is missing).
 * `mllmshift models pull [--model-dir DIR] [--only clip|xlmr] [--force]`: download them from the hub.
 */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { PAPER_MODELS, defaultModelsDir, findModel, hubUrl, modelCandidates, modelSpec, pullModel } from '../encode/models.js';
import { printJson, runAction } from './run-action.js';

export function register(program: Command): void {
  const models = program.command('models').description('The paper encoders\' weights: where they are, and fetching them');
  models
    .command('status')
    .description('Show where each paper model resolves from, or which files are missing and where to get them')
    .option('--model-dir <dir>', 'folder with the models')
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction((opts: { modelDir?: string; json?: boolean }) => {
        const rows = PAPER_MODELS.map((m) => {
          const found = findModel(m, opts.modelDir);
          return {
            model: m.name,
            title: m.title,
            repo: m.repo,
            found: found ?? null,
            searched: modelCandidates(m, opts.modelDir),
            required: m.required.map((f) => ({ file: f, url: hubUrl(m, f) })),
          };
        });
        if (opts.json) {
          printJson({ modelsDir: opts.modelDir ?? defaultModelsDir(), models: rows });
          return;
        }
        for (const r of rows) {
          if (r.found) process.stdout.write(`${r.model}: ${r.title}: ${r.found}\n`);
          else {
            const dest = join(opts.modelDir ?? defaultModelsDir(), r.repo);
            process.stdout.write(`${r.model}: ${r.title}: MISSING (searched ${r.searched.join(', ')})\n`);
            for (const f of r.required) process.stdout.write(`  ${f.url} → ${join(dest, f.file)}\n`);
          }
        }
      }),
    );
  models
    .command('pull')
    .description('Download the paper models from the Hugging Face hub (CLIP ViT-B/32 ONNX ~350 MB, XLM-R-base ~1.1 GB)')
    .option('--model-dir <dir>', 'destination (default: the models cache)')
    .addOption(new Option('--only <model>', 'only this model').choices(PAPER_MODELS.map((m) => m.name)))
    .option('--force', 're-download files that are already present')
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction(async (opts: { modelDir?: string; only?: string; force?: boolean; json?: boolean }) => {
        const specs = opts.only ? [modelSpec(opts.only)] : PAPER_MODELS;
        const out = [];
        for (const spec of specs) {
          const files = await pullModel(spec, { modelDir: opts.modelDir, force: opts.force, progress: !opts.json });
          out.push({ model: spec.name, repo: spec.repo, files });
          if (!opts.json) {
            for (const f of files) process.stdout.write(`${spec.name}: ${f.file}: ${f.status}${f.bytes ? ` (${(f.bytes / 1e6).toFixed(1)} MB)` : ''} ${f.path}\n`);
          }
        }
        if (opts.json) printJson({ models: out });
      }),
    );
}
