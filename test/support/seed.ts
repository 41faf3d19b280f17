import type { INestApplication } from '@nestjs/common';
import type BetterSqlite3 from 'better-sqlite3';
import { DatabaseRegistry } from '../../src/database/database-registry.js';

/**
 * Fills every managed database with a table of rows: deterministic, moderately compressible text.
 * Returns the row count per database.
 * The rows go in through the service's own connection, but with one prepared statement in one synchronous
 * transaction rather than one awaited TypeORM query each: the same rows, written ten times faster, which
 * is most of the time of the tests that seed tens of megabytes (60,000 rows of 1 KB in each of the seven).
 */
export async function seedDatabases(app: INestApplication, options: { rows?: number; payloadBytes?: number } = {}): Promise<Record<string, number>> {
  const rows = options.rows ?? 200;
  const payloadBytes = options.payloadBytes ?? 200;
  const registry = app.get(DatabaseRegistry);
  const counts: Record<string, number> = {};
  for (const db of registry.list()) {
    const source = await registry.dataSource(db.name);
    await source.query('CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, db TEXT NOT NULL, payload TEXT NOT NULL)');
    const connection = (source.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
    const insert = connection.prepare('INSERT INTO items (db, payload) VALUES (?, ?)');
    connection.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run(db.name, payload(db.name, i, payloadBytes));
    })();
    const [{ n }] = await source.query('SELECT count(*) AS n FROM items');
    counts[db.name] = n;
  }
  return counts;
}

/** Deterministic text: words from a small vocabulary, so it compresses like real rows do. */
export function payload(seed: string, i: number, bytes: number): string {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'equity', 'bond', 'yield', 'price', 'volume', 'ticker', 'sector', 'weight'];
  let state = [...`${seed}:${i}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  let out = '';
  while (out.length < bytes) {
    state = (state * 1103515245 + 12345) >>> 0;
    out += `${words[state % words.length]}${state % 1000} `;
  }
  return out.slice(0, bytes);
}

/** Polls a backup job until it ends (succeeded, failed or cancelled); returns its final JSON. */
export async function waitForJob(http: { get(url: string): PromiseLike<{ status: number; body: any }> }, id: string, timeoutMs = 120_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await http.get(`/api/backup-jobs/${id}`);
    if (res.status !== 200) throw new Error(`GET /api/backup-jobs/${id} answered ${res.status}`);
    if (res.body.status === 'succeeded' || res.body.status === 'failed' || res.body.status === 'cancelled') return res.body;
    if (Date.now() > until) throw new Error(`Job ${id} still ${res.body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
