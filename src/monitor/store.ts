/**
 * The monitor's state: one SQLite database (`monitor.sqlite`, WAL) in the output folder, the
 * run store's pattern (pipeline/run-store.ts) for a stream of windows:
 * - `windows`: each finished window's result (JSON), with the fingerprint of the settings it
 *   was computed under; a rerun skips windows whose fingerprint matches and recomputes the
 *   others;
 * - `samples`: the analysed rows of each window (question, answers, whether a reference was
 *   asked, per-sample JSD contributions);
 * - `requests`: every ingested request (line, id, time, window), written in batches while
 *   streaming, so a million-line log never sits in memory;
 * - `meta`: the config, the versions, the reference set's summary.
 */
import Database from 'better-sqlite3';
import { readMeta, writeMeta } from '../pipeline/store-meta.js';
import { RunError } from '../errors.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS windows (key TEXT PRIMARY KEY, idx INTEGER NOT NULL, fingerprint TEXT NOT NULL, json TEXT NOT NULL, completed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS samples (
  window_key TEXT NOT NULL, request_id TEXT NOT NULL, line INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,
  reference TEXT, image TEXT NOT NULL, contrib_visual REAL, contrib_text REAL, PRIMARY KEY (window_key, line));
CREATE TABLE IF NOT EXISTS requests (line INTEGER PRIMARY KEY, request_id TEXT NOT NULL, time_ms REAL, window_key TEXT NOT NULL);
`;

export interface SampleRow {
  readonly requestId: string;
  readonly line: number;
  readonly question: string;
  readonly answer: string;
  readonly reference: string | null;
  /** The image's file path, or `inline` for a data URL. */
  readonly image: string;
  readonly contribVisual: number | null;
  readonly contribText: number | null;
}

export class MonitorStore {
  private readonly db: Database.Database;
  private readonly putRequest: Database.Statement;
  private pending: [number, string, number | null, string][] = [];

  constructor(readonly path: string) {
    try {
      this.db = new Database(path);
    } catch (e) {
      throw new RunError(`${path}: cannot open the monitor store (${(e as Error).message})`);
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.putRequest = this.db.prepare('INSERT OR REPLACE INTO requests (line, request_id, time_ms, window_key) VALUES (?, ?, ?, ?)');
  }

  close(): void {
    this.flushRequests();
    this.db.close();
  }

  setMeta(key: string, value: unknown): void {
    writeMeta(this.db, key, value);
  }

  getMeta<T = unknown>(key: string): T | undefined {
    return readMeta<T>(this.db, key);
  }

  /** A request seen while streaming (buffered, written 10,000 at a time). */
  addRequest(line: number, id: string, time: number | null, windowKey: string): void {
    this.pending.push([line, id, time, windowKey]);
    if (this.pending.length >= 10_000) this.flushRequests();
  }

  flushRequests(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.db.transaction(() => { for (const r of rows) this.putRequest.run(...r); })();
  }

  /** The stored result of a window if it was computed under `fingerprint`. */
  completedWindow<T>(key: string, fingerprint: string): T | undefined {
    const row = this.db.prepare('SELECT fingerprint, json FROM windows WHERE key = ?').get(key) as { fingerprint: string; json: string } | undefined;
    return row && row.fingerprint === fingerprint ? (JSON.parse(row.json) as T) : undefined;
  }

  /** Records a finished window and its analysed rows in one transaction. */
  completeWindow(key: string, index: number, fingerprint: string, result: unknown, samples: readonly SampleRow[]): void {
    this.flushRequests();
    const put = this.db.prepare('INSERT OR REPLACE INTO samples (window_key, request_id, line, question, answer, reference, image, contrib_visual, contrib_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM samples WHERE window_key = ?').run(key);
      for (const s of samples) put.run(key, s.requestId, s.line, s.question, s.answer, s.reference, s.image, s.contribVisual, s.contribText);
      this.db.prepare('INSERT OR REPLACE INTO windows (key, idx, fingerprint, json, completed_at) VALUES (?, ?, ?, ?, ?)').run(key, index, fingerprint, JSON.stringify(result), new Date().toISOString());
    })();
  }

  /** Every stored window result, in window order. */
  windows<T>(fingerprint: string): T[] {
    const rows = this.db.prepare('SELECT json FROM windows WHERE fingerprint = ? ORDER BY idx').all(fingerprint) as { json: string }[];
    return rows.map((r) => JSON.parse(r.json) as T);
  }

  count(table: 'requests' | 'samples' | 'windows'): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  }
}
