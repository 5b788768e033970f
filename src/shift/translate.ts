/**
 * Natural (language) shift: questions translated from English through an OpenAI-compatible
 * chat endpoint (the shared `ChatClient`: concurrency limit, timeouts, retries), then given the
 * paper's suffix " Please answer in English." (DESIGN.md §3; `English` itself is left as is).
 *
 * Translations are kept in a JSON cache file ({language: {English text: translation}}) so a
 * re-run reuses them and reproduces the same bytes: a chat model is not deterministic even at
 * temperature 0, so the cache, not the seed, is what makes the natural grid reproducible.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError, RemoteError } from '../errors.js';
import type { ChatClient } from '../llm/client.js';
import { writeFileAtomic } from '../io/atomic-write.js';

export const ANSWER_IN_ENGLISH_SUFFIX = ' Please answer in English.';

export interface Translator {
  /** What to record in manifests (endpoint, model, prompt). */
  readonly description: Readonly<Record<string, unknown>>;
  /** The translation of English `text` into `language` (no suffix). */
  translate(text: string, language: string): Promise<string>;
}

/** The question as the model sees it under a language shift. */
export function translatedQuestion(translation: string, language: string): string {
  return language === 'English' ? translation : `${translation}${ANSWER_IN_ENGLISH_SUFFIX}`;
}

export const TRANSLATION_SYSTEM_PROMPT = 'You are a professional translator. You translate exactly, keeping the meaning, tone and form of the text.';

export function translationUserPrompt(text: string, language: string): string {
  return `Translate the following English text into ${language}. Reply with the translation only: no quotes, notes or explanations.\n\n${text}`;
}

/** Remove wrapping quotes or a code fence a model may add around a translation. */
export function cleanTranslation(raw: string): string {
  let t = raw.trim();
  const fence = /^```[a-z]*\n([\s\S]*?)\n```$/i.exec(t);
  if (fence) t = fence[1].trim();
  const pairs: [string, string][] = [['"', '"'], ['“', '”'], ['«', '»'], ['「', '」'], ["'", "'"]];
  for (const [a, b] of pairs) {
    if (t.length >= 2 && t.startsWith(a) && t.endsWith(b)) t = t.slice(a.length, t.length - b.length).trim();
  }
  return t;
}

/** A translator on a chat model: temperature 0, fixed seed, the prompts above. */
export function chatTranslator(client: ChatClient, model: string, opts: { seed?: number; maxTokens?: number } = {}): Translator {
  return {
    description: { method: 'chat', endpoint: client.baseURL, model, temperature: 0, seed: opts.seed ?? 0, system: TRANSLATION_SYSTEM_PROMPT, user: translationUserPrompt('{text}', '{language}') },
    async translate(text, language) {
      const r = await client.complete({
        model,
        messages: [
          { role: 'system', content: TRANSLATION_SYSTEM_PROMPT },
          { role: 'user', content: translationUserPrompt(text, language) },
        ],
        temperature: 0,
        seed: opts.seed ?? 0,
        maxTokens: opts.maxTokens ?? 1024,
      });
      const t = cleanTranslation(r.text);
      if (t === '') throw new RemoteError(`translation into ${language} came back empty (model ${model})`);
      return t;
    },
  };
}

type CacheData = Record<string, Record<string, string>>;

/** Wraps a translator with a JSON cache file (read at start, written after every new entry batch). */
export class CachedTranslator implements Translator {
  private readonly data: CacheData;

  constructor(
    private readonly inner: Translator | undefined,
    readonly file: string,
  ) {
    this.data = {};
    if (existsSync(file)) {
      let v: unknown;
      try {
        v = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new InputError(`${file}: translation cache is not valid JSON (${(e as Error).message})`);
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InputError(`${file}: translation cache must be an object {language: {text: translation}}`);
      for (const [lang, m] of Object.entries(v as Record<string, unknown>)) {
        if (m === null || typeof m !== 'object' || Array.isArray(m) || !Object.values(m).every((x) => typeof x === 'string')) {
          throw new InputError(`${file}: translation cache entry "${lang}" must map texts to strings`);
        }
        this.data[lang] = { ...(m as Record<string, string>) };
      }
    }
  }

  get description(): Readonly<Record<string, unknown>> {
    return { ...(this.inner?.description ?? { method: 'cache only' }), cache: this.file };
  }

  async translate(text: string, language: string): Promise<string> {
    const hit = this.data[language]?.[text];
    if (hit !== undefined) return hit;
    if (!this.inner) throw new InputError(`no translation of "${text.slice(0, 40)}" into ${language} in ${this.file}, and no endpoint given (--base-url, --model)`);
    const t = await this.inner.translate(text, language);
    (this.data[language] ??= {})[text] = t;
    return t;
  }

  /** Write the cache (keys sorted, so the file is stable). */
  save(): void {
    const sorted: CacheData = {};
    for (const lang of Object.keys(this.data).sort()) {
      sorted[lang] = {};
      for (const k of Object.keys(this.data[lang]).sort()) sorted[lang][k] = this.data[lang][k];
    }
    writeFileAtomic(this.file, `${JSON.stringify(sorted, null, 2)}\n`);
  }
}
