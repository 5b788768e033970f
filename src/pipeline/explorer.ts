/**
 * `mllmshift serve RUN_DIR`: a local, read-only explorer of a finished run on 127.0.0.1. The
 * page (report/explorer-page.ts) asks this server for JSON and images only:
 *   GET /                      the page;           GET /app.js   its script
 *   GET /api/run               scenarios (EMID, bound, labels), the EMID-vs-bound figure, drop kind
 *   GET /api/drops?scenario=S  the samples of S with their drop, largest first
 *   GET /api/sample?id=X       sample X under every scenario of the grid
 *   GET /image?scenario=S&id=X the image of sample X in scenario S
 * Nothing else is served (404; no directory listing; GET/HEAD only). An image is served only
 * when its recorded path resolves (symlinks followed) to a regular file inside the run folder.
 * The store is opened read-only; nothing is written; no request leaves the machine.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { realpathSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { readImageFile } from '../io/image-file.js';
import { imageMediaType, sniffImageFormat } from '../io/image-format.js';
import { InputError } from '../errors.js';
import type { RunResults } from '../report/run-results.js';
import { emidBoundSvg, gridKind, shortLabel } from '../report/plots.js';
import { explorerPageHtml, EXPLORER_SCRIPT } from '../report/explorer-page.js';
import { readResultsFile } from './results-import.js';
import { emiContributions, emidContributionDrops, judgeDrops, readRunSamples, runEstimator, type RunSamples } from './run-samples.js';

export interface Explorer {
  readonly url: string;
  close(): Promise<void>;
}

interface ExplorerData {
  readonly root: string;
  readonly results: RunResults;
  readonly samples: RunSamples;
  readonly contributions: (scenario: string) => ReadonlyMap<string, number>;
  /** The EMID-vs-bound figure (its dots in the order of the OOD scenarios). */
  readonly figure: { readonly svg: string } | null;
  readonly page: string;
}

function load(runDir: string): ExplorerData {
  const root = realpathSync(resolve(runDir));
  const results = readResultsFile(join(root, 'results.json'));
  const samples = readRunSamples(root);
  const net = runEstimator(results.run.estimator);
  const cache = new Map<string, ReadonlyMap<string, number>>();
  const contributions = (scenario: string): ReadonlyMap<string, number> => {
    let c = cache.get(scenario);
    if (!c) {
      c = emiContributions(root, scenario, net);
      cache.set(scenario, c);
    }
    return c;
  };
  const drawn = emidBoundSvg(results);
  const figure = drawn ? { svg: drawn.parts[0].markup } : null;
  return { root, results, samples, contributions, figure, page: explorerPageHtml(results.run.name, figure?.svg ?? null) };
}

function drops(d: ExplorerData, scenario: string): { id: string; drop: number | null; contribution: number | null; text: string }[] {
  const idName = d.results.run.idScenario;
  const ids = [...(d.samples.byScenario.get(scenario)?.keys() ?? [])];
  const judge = new Map(judgeDrops(d.samples, idName, scenario).map((x) => [x.id, x.drop]));
  const contrib = new Map(emidContributionDrops(d.contributions(idName), d.contributions(scenario)).map((x) => [x.id, x.drop]));
  const m = d.samples.byScenario.get(scenario);
  // The text the page's filter searches: question and answer as in this scenario.
  const text = (id: string): string => `${m?.get(id)?.question ?? ''}\n${m?.get(id)?.answer ?? ''}`;
  const rows = ids.map((id) => ({ id, drop: judge.get(id) ?? null, contribution: contrib.get(id) ?? null, text: text(id) }));
  const key = (r: { drop: number | null; contribution: number | null }): number => r.drop ?? r.contribution ?? Number.NEGATIVE_INFINITY;
  return rows.sort((a, b) => key(b) - key(a) || a.id.localeCompare(b.id));
}

function runInfo(d: ExplorerData): unknown {
  const r = d.results;
  const grid = gridKind(r);
  const figure = d.figure;
  const hasJudge = [...d.samples.byScenario.values()].some((m) => [...m.values()].some((s) => s.modelScore !== null));
  return {
    name: r.run.name,
    model: r.run.model,
    simulated: r.run.simulated,
    idScenario: r.run.idScenario,
    emiUnit: r.run.emiUnit,
    dropKind: hasJudge ? 'judge' : 'emid-contribution',
    scenarios: r.scenarios.map((s) => ({ name: s.name, label: shortLabel(s, grid), modality: s.modality, emi: s.emi, emid: s.emid, bound: s.bound, samples: d.samples.byScenario.get(s.name)?.size ?? 0 })),
    // The dots of this figure are drawn in the order of these names.
    figure: figure ? { dots: r.scenarios.filter((s) => s.emid !== null && s.bound !== null).map((s) => s.name) } : null,
  };
}

function sampleInfo(d: ExplorerData, id: string): unknown | null {
  const idName = d.results.run.idScenario;
  const idSample = d.samples.byScenario.get(idName)?.get(id);
  const views = d.results.scenarios.flatMap((s) => {
    const x = d.samples.byScenario.get(s.name)?.get(id);
    if (!x) return [];
    const idC = d.contributions(idName).get(id);
    const c = d.contributions(s.name).get(id);
    return [{
      scenario: s.name,
      emid: s.emid,
      question: x.question,
      answer: x.answer,
      reference: x.reference,
      category: x.category,
      referenceScore: x.referenceScore,
      modelScore: x.modelScore,
      review: x.review,
      drop: s.modality === 'id' || idSample?.modelScore == null || x.modelScore === null ? null : idSample.modelScore - x.modelScore,
      emiContribution: c ?? null,
      emidContribution: s.modality === 'id' || c === undefined || idC === undefined ? null : idC - c,
      image: `/image?scenario=${encodeURIComponent(s.name)}&id=${encodeURIComponent(id)}`,
    }];
  });
  return views.length === 0 ? null : { id, views };
}

/** The real path of `p` when it is inside `root` (symlinks resolved), else null. */
function inside(root: string, p: string): string | null {
  try {
    const real = realpathSync(resolve(root, p));
    return real === root || real.startsWith(root + sep) ? real : null;
  } catch {
    return null;
  }
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, head = false): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

function json(res: ServerResponse, value: unknown, head: boolean): void {
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value), head);
}

function notFound(res: ServerResponse, what: string, head: boolean): void {
  send(res, 404, 'text/plain; charset=utf-8', `not found: ${what}\n`, head);
}

async function handle(d: ExplorerData, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('read-only: GET and HEAD only\n');
    return;
  }
  const head = req.method === 'HEAD';
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const q = (k: string): string => url.searchParams.get(k) ?? '';
  switch (url.pathname) {
    case '/':
      return send(res, 200, 'text/html; charset=utf-8', d.page, head);
    case '/favicon.ico':
      res.writeHead(204, SECURITY_HEADERS);
      res.end();
      return;
    case '/app.js':
      return send(res, 200, 'text/javascript; charset=utf-8', EXPLORER_SCRIPT, head);
    case '/api/run':
      return json(res, runInfo(d), head);
    case '/api/drops':
      if (!d.samples.byScenario.has(q('scenario'))) return notFound(res, 'scenario', head);
      return json(res, drops(d, q('scenario')), head);
    case '/api/sample': {
      const info = sampleInfo(d, q('id'));
      return info === null ? notFound(res, 'sample', head) : json(res, info, head);
    }
    case '/image': {
      const s = d.samples.byScenario.get(q('scenario'))?.get(q('id'));
      const real = s ? inside(d.root, s.image) : null;
      if (!real) return notFound(res, 'image', head);
      let bytes: Uint8Array;
      try {
        bytes = await readImageFile(real, real);
      } catch {
        return notFound(res, 'image', head);
      }
      const format = sniffImageFormat(bytes);
      if (!format) return notFound(res, 'image', head);
      return send(res, 200, imageMediaType(format), bytes, head);
    }
    default:
      return notFound(res, 'page', head);
  }
}

/** Start the explorer on 127.0.0.1:`port` (0: any free port). */
export async function startExplorer(runDir: string, port = 8765): Promise<Explorer> {
  const d = load(runDir);
  const server: Server = createServer((req, res) => {
    handle(d, req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `error: ${(e as Error).message}\n`);
      else res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRINUSE' ? new InputError(`port ${port} on 127.0.0.1 is in use: pick another with --port`) : e));
    server.listen(port, '127.0.0.1', () => ok());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
