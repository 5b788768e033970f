/**
 * A chat-completions server on 127.0.0.1 for the tests: each request is answered by a
 * `behave` function that can reply normally, with an HTTP error and headers, with a broken
 * body, after a delay, or never. It records every request and the peak number in flight.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly n: number;
  readonly at: number;
  /** Path and query of the request. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: ChatBody;
  /** The request body exactly as received (UTF-8). */
  readonly raw: string;
}

export interface ChatBody {
  model: string;
  messages: { role: string; content: string | { type: string; text?: string; image_url?: { url: string } }[] }[];
  max_tokens?: number;
  temperature?: number;
  [k: string]: unknown;
}

export type Reply =
  | { kind: 'text'; text: string; delayMs?: number }
  | { kind: 'error'; status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  | { kind: 'raw'; status: number; contentType: string; body: string }
  | { kind: 'hang' }
  | { kind: 'stall-body' }
  | { kind: 'destroy' };

export interface FakeServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Paths of the GET /models probes (answered 200, not in `requests`). */
  readonly probes: string[];
  readonly peakInFlight: number;
  behave: (req: SeenRequest) => Reply;
  close(): Promise<void>;
}

/** The text of the last user message (its text parts joined). */
export function userText(body: ChatBody): string {
  const m = body.messages[body.messages.length - 1];
  return typeof m.content === 'string' ? m.content : m.content.filter((p) => p.type === 'text').map((p) => p.text).join('');
}

export function completion(text: string, model: string): string {
  return JSON.stringify({
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
  });
}

export async function startFakeServer(behave: (req: SeenRequest) => Reply): Promise<FakeServer> {
  const requests: SeenRequest[] = [];
  const probes: string[] = [];
  let inFlight = 0;
  let peak = 0;
  const pending = new Set<ServerResponse>();
  const state = { behave };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // `run`'s preflight probe (GET {base_url}/models): answered here, not counted as a request.
      if (req.method === 'GET' && req.url?.endsWith('/models')) {
        probes.push(req.url);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[]}');
        return;
      }
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          inFlight -= 1;
          pending.delete(res);
        }
      };
      res.on('close', finish);
      pending.add(res);
      const raw = Buffer.concat(chunks).toString('utf8');
      const seen: SeenRequest = { n: requests.length, at: Date.now(), url: req.url ?? '', headers: req.headers, body: JSON.parse(raw) as ChatBody, raw };
      requests.push(seen);
      const reply = state.behave(seen);
      const send = () => {
        switch (reply.kind) {
          case 'text':
            res.writeHead(200, { 'content-type': 'application/json' }).end(completion(reply.text, seen.body.model));
            break;
          case 'error':
            res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
              .end(reply.body ?? JSON.stringify({ error: { message: `fake error ${reply.status}`, type: 'test' } }));
            break;
          case 'raw':
            res.writeHead(reply.status, { 'content-type': reply.contentType }).end(reply.body);
            break;
          case 'hang':
            break;
          case 'stall-body':
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"id": "x", "choices": [');
            break;
          case 'destroy':
            req.socket.destroy();
            break;
        }
      };
      const delay = 'delayMs' in reply ? reply.delayMs ?? 0 : 0;
      if (delay > 0) setTimeout(send, delay);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    probes,
    get peakInFlight() {
      return peak;
    },
    get behave() {
      return state.behave;
    },
    set behave(f) {
      state.behave = f;
    },
    close: () => new Promise<void>((resolve) => {
      for (const r of pending) r.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
