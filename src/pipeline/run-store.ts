/**
 * The run store: one SQLite database (`run.sqlite`, WAL) in a run's output folder recording
 * the configuration and versions used, each stage's completed outputs (with a fingerprint of
 * what they were made from), the samples, responses, reviews, embedding sets and results.
 * The files on disk (answer files, embedding sets) stay the source of truth for resuming a
 * stage midway; the store says which stage outputs are complete and still valid, so a rerun
 * skips them and redoes nothing else.
 */
import Database from 'better-sqlite3';
import { readMeta, writeMeta } from './store-meta.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export type StageName = 'shift' | 'infer' | 'references' | 'judge' | 'embed' | 'estimator' | 'estimate' | 'report';

export interface StageRecord {
  readonly stage: StageName;
  readonly scenario: string;
  readonly fingerprint: string;
  readonly output: string;
  readonly sha256: string;
  readonly detail: unknown;
  readonly completedAt: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stages (
  stage TEXT NOT NULL, scenario TEXT NOT NULL, fingerprint TEXT NOT NULL, output TEXT NOT NULL,
  sha256 TEXT NOT NULL, detail TEXT NOT NULL, completed_at TEXT NOT NULL, PRIMARY KEY (stage, scenario));
CREATE TABLE IF NOT EXISTS samples (
  scenario TEXT NOT NULL, sample_id TEXT NOT NULL, question TEXT NOT NULL, reference TEXT,
  category TEXT, image TEXT, PRIMARY KEY (scenario, sample_id));
CREATE TABLE IF NOT EXISTS responses (
  scenario TEXT NOT NULL, sample_id TEXT NOT NULL, role TEXT NOT NULL, model TEXT NOT NULL, text TEXT NOT NULL,
  PRIMARY KEY (scenario, sample_id, role));
CREATE TABLE IF NOT EXISTS reviews (
  scenario TEXT NOT NULL, sample_id TEXT NOT NULL, category TEXT, reference_score REAL, model_score REAL,
  PRIMARY KEY (scenario, sample_id));
CREATE TABLE IF NOT EXISTS embeddings (
  scenario TEXT PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL, encoders TEXT NOT NULL, cache_keys TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, json TEXT NOT NULL);
`;

/** SHA-256 of a file's bytes (hex), or '' when it does not exist. */
export function fileSha256(path: string): string {
  if (!existsSync(path)) return '';
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A stable fingerprint of JSON-serialisable inputs. */
export function fingerprint(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
      : Array.isArray(v) ? v.map(canonical) : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex').slice(0, 32);
}

/** A sample of a run with its model answer and judge scores (null where that stage did not run). */
export interface StoredSample {
  readonly scenario: string;
  readonly id: string;
  readonly question: string;
  readonly reference: string | null;
  readonly category: string | null;
  readonly image: string;
  readonly answer: string | null;
  readonly referenceScore: number | null;
  readonly modelScore: number | null;
}

export class RunStore {
  private readonly db: Database.Database;

  /** `readOnly`: open an existing store without creating or changing anything (report, serve). */
  constructor(readonly path: string, opts: { readonly readOnly?: boolean } = {}) {
    let db: Database.Database | undefined;
    try {
      db = new Database(path, opts.readOnly ? { readonly: true, fileMustExist: true } : {});
      if (opts.readOnly) db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
      else {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.exec(SCHEMA);
      }
    } catch (e) {
      db?.close();
      throw new InputError(`${path}: not a usable run store (${(e as Error).message}); move it away or choose another output folder`);
    }
    this.db = db;
  }

  /** Every sample with its model answer and judge scores, by scenario then sample id. */
  samples(): StoredSample[] {
    return this.db
      .prepare(
        `SELECT s.scenario, s.sample_id AS id, s.question, s.reference, s.category, s.image, r.text AS answer,
                v.reference_score AS referenceScore, v.model_score AS modelScore
         FROM samples s
         LEFT JOIN responses r ON r.scenario = s.scenario AND r.sample_id = s.sample_id AND r.role = 'model'
         LEFT JOIN reviews v ON v.scenario = s.scenario AND v.sample_id = s.sample_id
         ORDER BY s.scenario, s.sample_id`,
      )
      .all() as StoredSample[];
  }

  close(): void {
    this.db.close();
  }

  setMeta(key: string, value: unknown): void {
    writeMeta(this.db, key, value);
  }

  getMeta<T = unknown>(key: string): T | undefined {
    return readMeta<T>(this.db, key);
  }

  /**
   * The completed record of a stage for a scenario, if it is still valid: same fingerprint,
   * and the output file (when there is one) unchanged since.
   */
  completed(stage: StageName, scenario: string, fp: string): StageRecord | undefined {
    const row = this.db.prepare('SELECT * FROM stages WHERE stage = ? AND scenario = ?').get(stage, scenario) as
      | { stage: StageName; scenario: string; fingerprint: string; output: string; sha256: string; detail: string; completed_at: string }
      | undefined;
    if (!row || row.fingerprint !== fp) return undefined;
    if (row.output !== '' && row.sha256 !== '' && fileSha256(row.output) !== row.sha256) return undefined;
    return { stage: row.stage, scenario: row.scenario, fingerprint: row.fingerprint, output: row.output, sha256: row.sha256, detail: JSON.parse(row.detail), completedAt: row.completed_at };
  }

  /** Record a completed stage output, and its rows, in one transaction. */
  complete(stage: StageName, scenario: string, fp: string, output: string, detail: unknown, rows?: () => void): void {
    const sha = output !== '' && existsSync(output) && !output.endsWith('/') ? fileSha256(output) : '';
    this.db.transaction(() => {
      rows?.();
      this.db
        .prepare('INSERT INTO stages (stage, scenario, fingerprint, output, sha256, detail, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(stage, scenario) DO UPDATE SET fingerprint = excluded.fingerprint, output = excluded.output, sha256 = excluded.sha256, detail = excluded.detail, completed_at = excluded.completed_at')
        .run(stage, scenario, fp, output, sha, JSON.stringify(detail ?? null), new Date().toISOString());
    })();
  }

  // Each put* replaces all of a scenario's rows (in one transaction), so a sample changed or
  // removed since an earlier run leaves no stale row behind.

  putSamples(scenario: string, samples: readonly { id: string; question: string; reference?: string; category?: string; image: string }[]): void {
    const st = this.db.prepare('INSERT INTO samples (scenario, sample_id, question, reference, category, image) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM samples WHERE scenario = ?').run(scenario);
      for (const s of samples) st.run(scenario, s.id, s.question, s.reference ?? null, s.category ?? null, s.image);
    })();
  }

  putResponses(scenario: string, role: 'model' | 'reference', model: string, responses: readonly { id: string; text: string }[]): void {
    const st = this.db.prepare('INSERT INTO responses (scenario, sample_id, role, model, text) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM responses WHERE scenario = ? AND role = ?').run(scenario, role);
      for (const r of responses) st.run(scenario, r.id, role, model, r.text);
    })();
  }

  putReviews(scenario: string, reviews: readonly { id: string; category?: string; tuple: readonly [number, number] | null }[]): void {
    const st = this.db.prepare('INSERT OR REPLACE INTO reviews (scenario, sample_id, category, reference_score, model_score) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM reviews WHERE scenario = ?').run(scenario);
      for (const r of reviews) st.run(scenario, r.id, r.category ?? null, r.tuple ? r.tuple[0] : null, r.tuple ? r.tuple[1] : null);
    })();
  }

  putEmbeddings(scenario: string, path: string, encoders: unknown, cacheKeys: unknown): void {
    this.db.prepare('INSERT OR REPLACE INTO embeddings (scenario, path, sha256, encoders, cache_keys) VALUES (?, ?, ?, ?, ?)').run(scenario, path, fileSha256(path), JSON.stringify(encoders), JSON.stringify(cacheKeys));
  }

  /** Drops the sample, response, review and embedding rows of scenarios no longer in the study. */
  retainScenarios(scenarios: readonly string[]): void {
    const keep = JSON.stringify(scenarios);
    this.db.transaction(() => {
      for (const table of ['samples', 'responses', 'reviews', 'embeddings']) {
        this.db.prepare(`DELETE FROM ${table} WHERE scenario NOT IN (SELECT value FROM json_each(?))`).run(keep);
      }
    })();
  }

  putResult(key: string, value: unknown): void {
    this.db.prepare('INSERT OR REPLACE INTO results (key, json) VALUES (?, ?)').run(key, JSON.stringify(value));
  }

  count(table: 'samples' | 'responses' | 'reviews' | 'embeddings' | 'stages' | 'results', scenario?: string): number {
    const sql = scenario === undefined || table === 'results' ? `SELECT COUNT(*) AS n FROM ${table}` : `SELECT COUNT(*) AS n FROM ${table} WHERE scenario = ?`;
    const row = (scenario === undefined || table === 'results' ? this.db.prepare(sql).get() : this.db.prepare(sql).get(scenario)) as { n: number };
    return row.n;
  }
}
