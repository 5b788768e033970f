/**
 * OpenAI chat-completions request/response logs, one JSON object per line:
 *   { "id"?, "timestamp"?, "request": { "model", "messages": [...] }, "response": { chat.completion } }
 * The request may also be under `body` (batch-input style) or its `messages` at the top level;
 * the time is `timestamp`, `time`, `created_at` or the response's `created` (epoch seconds).
 * The question is the text of the last user message, the image its first `image_url` part
 * (a data URL, or a file path under the images folder), the answer the first choice's content.
 */
import { malformed, parseTime, textOfContent, type LineOutcome, type ParseContext } from './traffic.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseOpenAiLine(value: unknown, line: number, ctx: ParseContext): LineOutcome {
  if (!isObj(value)) return malformed('line', 'a JSON object', value);
  const request = isObj(value.request) ? value.request : isObj(value.body) ? value.body : value;
  const messages = isObj(request.body) && Array.isArray(request.body.messages) ? request.body.messages : request.messages;
  if (!Array.isArray(messages)) return malformed('request.messages', 'an array of chat messages', messages);
  let user: Obj | undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!isObj(m)) return malformed(`request.messages[${i}]`, 'an object', m);
    if (m.role === 'user') { user = m; break; }
  }
  if (!user) return { kind: 'skipped', reason: 'no user message' };
  const question = textOfContent(user.content);
  if (question === undefined) return malformed('request.messages[user].content', 'a string or an array of content parts', user.content);
  let url: unknown;
  if (Array.isArray(user.content)) {
    const part = user.content.find((p) => isObj(p) && p.type === 'image_url') as Obj | undefined;
    if (part) url = isObj(part.image_url) ? part.image_url.url : part.image_url;
  }
  if (url === undefined) return { kind: 'skipped', reason: 'no image in the request' };
  if (typeof url !== 'string') return malformed('image_url.url', 'a string', url);
  const image = ctx.resolveImage(url);
  if ('skip' in image) return { kind: 'skipped', reason: image.skip };
  if ('error' in image) return { kind: 'malformed', message: `image_url.url: ${image.error}` };

  const rawResponse = value.response;
  const response = isObj(rawResponse) && isObj(rawResponse.body) ? rawResponse.body : rawResponse;
  if (response === undefined || response === null) return { kind: 'skipped', reason: 'no response logged' };
  if (!isObj(response)) return malformed('response', 'a chat.completion object', response);
  if (response.error !== undefined || !Array.isArray(response.choices)) {
    return response.error !== undefined ? { kind: 'skipped', reason: 'error response' } : malformed('response.choices', 'an array', response.choices);
  }
  const choice = response.choices[0];
  if (!isObj(choice) || !isObj(choice.message)) return malformed('response.choices[0].message', 'an object', isObj(choice) ? choice.message : choice);
  const answer = textOfContent(choice.message.content);
  if (answer === undefined) return { kind: 'skipped', reason: 'response without text content' };
  if (answer.trim() === '') return { kind: 'skipped', reason: 'empty answer' };
  if (question.trim() === '') return { kind: 'skipped', reason: 'empty question' };

  const rawTime = value.timestamp ?? value.time ?? value.created_at ?? response.created;
  const time = rawTime === undefined ? null : parseTime(rawTime);
  if (time === undefined) return malformed('timestamp', 'an ISO 8601 date or epoch seconds/ms', rawTime);
  const rawId = value.id ?? value.custom_id ?? value.request_id ?? response.id;
  const id = typeof rawId === 'string' && rawId !== '' ? rawId : typeof rawId === 'number' ? String(rawId) : `line-${line}`;
  return { kind: 'records', records: [{ id, line, time, question, image, answer }] };
}

/** One log line in this format (what the demo's simulated deployment writes). */
export function openAiLogLine(r: { id: string; time: number; model: string; imageUrl: string; question: string; answer: string }): string {
  return JSON.stringify({
    id: r.id,
    timestamp: new Date(r.time).toISOString(),
    request: { model: r.model, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: r.imageUrl } }, { type: 'text', text: r.question }] }] },
    response: { id: `chatcmpl-${r.id}`, object: 'chat.completion', created: Math.floor(r.time / 1000), model: r.model, choices: [{ index: 0, message: { role: 'assistant', content: r.answer }, finish_reason: 'stop' }] },
  });
}
