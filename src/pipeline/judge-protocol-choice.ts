/**
 * Which judge protocol a command or a run configuration names (see `llm/judge-protocol.ts`).
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { llavaRulesFiles } from '../encode/artefacts.js';
import { PROJECT_PROTOCOL, llavaProtocol, readLlavaRules, readProtocolFile, type JudgeProtocol } from '../llm/judge-protocol.js';

/**
 * The judge protocol the options name: `--rules FILE` (LLaVA's rule format) with
 * `--system-prompt TEXT`; `--protocol llava-bench` (LLaVA's pulled rule.json and system line);
 * `--protocol FILE.json` (a protocol file); else the project's own.
 */
export function chooseJudgeProtocol(opts: { protocol?: string; rules?: string; systemPrompt?: string; modelDir?: string }): JudgeProtocol {
  if (opts.rules) {
    if (opts.protocol) throw new UsageError('give either --rules or --protocol, not both');
    if (opts.systemPrompt === undefined) throw new UsageError('--rules needs --system-prompt TEXT (the system message sent with the rules)');
    return llavaProtocol(readLlavaRules(opts.rules), opts.systemPrompt);
  }
  let base: JudgeProtocol;
  if (opts.protocol === undefined || opts.protocol === PROJECT_PROTOCOL.name) base = PROJECT_PROTOCOL;
  else if (opts.protocol === 'llava-bench') {
    const files = llavaRulesFiles(opts.modelDir);
    base = llavaProtocol(readLlavaRules(files.rules), files.system, 'llava-bench');
  } else base = readProtocolFile(opts.protocol);
  if (opts.systemPrompt === undefined) return base;
  return { ...base, system: opts.systemPrompt, name: `${base.name}+system@${createHash('sha256').update(opts.systemPrompt).digest('hex').slice(0, 8)}` };
}
