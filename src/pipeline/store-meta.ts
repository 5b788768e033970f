/**
 * The `meta` key/value table (JSON values) that the run store and the monitor's store share:
 * `meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`.
 */
import type Database from 'better-sqlite3';

export function writeMeta(db: Database.Database, key: string, value: unknown): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
}

export function readMeta<T = unknown>(db: Database.Database, key: string): T | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as T) : undefined;
}
