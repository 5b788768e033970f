/**
 * The demo's simulated MLLM and judge: an OpenAI-compatible chat-completions server on
 * 127.0.0.1 (nothing leaves the machine). It is a simulation, and says so:
 * - model "sim-mllm": recognises the sample from the image bytes and the question, and answers
 *   correctly with a probability that falls with the severity of the image corruption and of
 *   the text perturbation in a known way (`correctProbability`); otherwise it gives a
 *   plausible wrong answer. Decisions are a deterministic hash of the sample and the shift.
 * - model "sim-reference": always the correct answer (a reference model for `monitor --demo`);
 * - model "sim-judge": scores the reference 8 and the model answer 8 when it is correct,
 *   3 when it is wrong, on the first line, then an explanation (the LLaVA-Bench format).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SceneQuestion } from './scenes.js';

/** Severity of a scenario's shift as the simulator sees it: 0 = none. */
export interface ShiftLevels {
  /** Image corruption severity 1–5 (frost counts 1.25× blur: occlusion is harder). */
  readonly visual: number;
  /** Text perturbation level r (0.05·r of the words). */
  readonly text: number;
}

/**
 * The simulated model's accuracy under a shift: 0.92 on the ID set, −0.07 per image severity
 * step (× 1.25 for frost), −0.05 per text level step, at least 0.1.
 */
export function correctProbability(levels: ShiftLevels): number {
  return Math.max(0.1, 0.92 - 0.07 * levels.visual - 0.05 * levels.text);
}

export interface SimulatedKey {
  /** sha256(image bytes) → sample's scene id and the image condition's levels. */
  readonly images: ReadonlyMap<string, { readonly sceneId: string; readonly visual: number }>;
  /** question text → candidate (question, text level) pairs (a perturbation may leave a question unchanged). */
  readonly questions: ReadonlyMap<string, readonly { readonly question: SceneQuestion; readonly text: number }[]>;
}

function unitHash(...parts: string[]): number {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function completion(model: string, text: string): unknown {
  return {
    id: `chatcmpl-sim-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`,
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

interface ChatBody {
  model?: string;
  messages?: { role: string; content: string | { type: string; text?: string; image_url?: { url: string } }[] }[];
}

export class SimulatedEndpoint {
  private server: Server | null = null;
  /** All correct answers (reference texts) the simulator can give, to let the judge recognise them. */
  private readonly correct = new Set<string>();
  requests = 0;

  /** `key` may be filled after construction (once the scenario data sets exist); `questions` are all the benchmark's questions. */
  constructor(private readonly key: SimulatedKey, questions: readonly SceneQuestion[], private readonly delayMs = 0) {
    for (const q of questions) this.correct.add(q.reference);
  }

  /** The model's answer: correct or wrong, by a hash draw against correctProbability (always correct when `reference`). */
  answer(imageHash: string, questionText: string, reference = false): string {
    const img = this.key.images.get(imageHash);
    const candidates = (this.key.questions.get(questionText) ?? []).filter((c) => !img || c.question.sceneId === img.sceneId);
    if (!img || candidates.length === 0) return 'I am not able to answer questions about this image.';
    // The least perturbed reading of the question (a perturbation may leave it unchanged).
    const c = candidates.reduce((a, b) => (b.text < a.text ? b : a));
    if (reference) return c.question.reference;
    const p = correctProbability({ visual: img.visual, text: c.text });
    return unitHash(c.question.id, String(img.visual), String(c.text)) < p ? c.question.reference : c.question.wrong;
  }

  isCorrect(text: string): boolean {
    return this.correct.has(text);
  }

  private judge(prompt: string): string {
    const m = /\[Assistant 2\]\n([\s\S]*?)\n\n\[End of Assistant 2\]/.exec(prompt);
    const a1 = /\[Assistant 1\]\n([\s\S]*?)\n\n\[End of Assistant 1\]/.exec(prompt);
    const s1 = a1 && this.isCorrect(a1[1]) ? 8 : 3;
    const s2 = m && this.isCorrect(m[1]) ? 8 : 3;
    return `${s1} ${s2}\nSimulated judge: an answer that states the facts of the scene gets 8, one that does not gets 3.`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      reply(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests++;
      let body: ChatBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatBody;
      } catch {
        reply(res, 400, { error: { message: 'body is not JSON' } });
        return;
      }
      const model = body.model ?? 'sim-mllm';
      const user = (body.messages ?? []).filter((m) => m.role === 'user').pop();
      if (!user) {
        reply(res, 400, { error: { message: 'no user message' } });
        return;
      }
      if (model === 'sim-judge') {
        const text = typeof user.content === 'string' ? user.content : user.content.map((p) => p.text ?? '').join('');
        reply(res, 200, completion(model, this.judge(text)));
        return;
      }
      const parts = typeof user.content === 'string' ? [{ type: 'text', text: user.content }] : user.content;
      const question = parts.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('').trim();
      const url = parts.find((p) => p.type === 'image_url')?.image_url?.url ?? '';
      const b64 = url.slice(url.indexOf(',') + 1);
      const imageHash = createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex');
      const text = this.answer(imageHash, question, model === 'sim-reference');
      if (this.delayMs > 0) setTimeout(() => reply(res, 200, completion(model, text)), this.delayMs);
      else reply(res, 200, completion(model, text));
    });
  }

  /** Start on 127.0.0.1 (a free port); returns the base URL (…/v1). */
  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}
