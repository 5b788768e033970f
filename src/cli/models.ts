/**
 * `mllmshift models status [--model-dir DIR]`: where the paper encoders' files and the authors' /
 * LLaVA's artefacts are (or what is missing and where to get it).
 * `mllmshift models pull [--model-dir DIR] [--only clip|xlmr|club|lbwild-split|llava-rules] [--force]`:
 * download them (encoders from the hub, artefacts from their repositories, sha256-verified).
 */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { PAPER_MODELS, defaultModelsDir, findModel, hubUrl, modelCandidates, modelSpec, pullModel } from '../encode/models.js';
import { ARTEFACTS, ARTEFACT_NAMES, artefactPath, artefactSpec, artefactUrl, findArtefact, pullArtefact } from '../encode/artefacts.js';
import { printJson, runAction } from './run-action.js';

export function register(program: Command): void {
  const models = program.command('models').description('The paper encoders\' weights and the authors\' / LLaVA\'s artefacts: where they are, and fetching them');
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
        const artefacts = ARTEFACTS.map((a) => ({
          artefact: a.name,
          title: a.title,
          repo: a.repo,
          commit: a.commit,
          found: findArtefact(a, opts.modelDir) ?? null,
          files: a.files.map((f) => ({ url: artefactUrl(a, f), path: artefactPath(a, f.path, opts.modelDir), sha256: f.sha256 })),
        }));
        if (opts.json) {
          printJson({ modelsDir: opts.modelDir ?? defaultModelsDir(), models: rows, artefacts });
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
        for (const a of artefacts) {
          if (a.found) process.stdout.write(`${a.artefact}: ${a.title}: ${a.found}\n`);
          else {
            process.stdout.write(`${a.artefact}: ${a.title}: MISSING (\`mllmshift models pull --only ${a.artefact}\`)\n`);
            for (const f of a.files) process.stdout.write(`  ${f.url} → ${f.path} (sha256 ${f.sha256})\n`);
          }
        }
      }),
    );
  models
    .command('pull')
    .description('Download the paper models from the Hugging Face hub (CLIP ViT-B/32 ONNX ~350 MB, XLM-R-base ~1.1 GB) and the authors\' / LLaVA\'s artefacts (CLUB_global.pt, the in-the-wild split index, LLaVA\'s judge rules; sha256-verified)')
    .option('--model-dir <dir>', 'destination (default: the models cache)')
    .addOption(new Option('--only <model>', 'only this model or artefact').choices([...PAPER_MODELS.map((m) => m.name), ...ARTEFACT_NAMES]))
    .option('--force', 're-download files that are already present')
    .option('--json', 'print one JSON document on stdout')
    .action(
      runAction(async (opts: { modelDir?: string; only?: string; force?: boolean; json?: boolean }) => {
        const only = opts.only;
        const specs = only ? PAPER_MODELS.filter((m) => m.name === only) : PAPER_MODELS;
        const artefactSpecs = only ? ARTEFACTS.filter((a) => a.name === only) : ARTEFACTS;
        const out = [];
        for (const a of artefactSpecs) {
          const r = await pullArtefact(artefactSpec(a.name), { modelDir: opts.modelDir, force: opts.force, progress: !opts.json });
          out.push({ model: a.name, repo: a.repo, files: [{ file: a.product, path: r.path, status: r.status }] });
          if (!opts.json) process.stdout.write(`${a.name}: ${r.status} (sha256 verified) ${r.path}\n`);
        }
        for (const spec of specs.map((m) => modelSpec(m.name))) {
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
