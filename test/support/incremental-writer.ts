import type { INestApplication } from '@nestjs/common';
import Database from 'better-sqlite3';
import { DatabaseRegistry } from '../../src/database/database-registry.js';
import { payload } from './seed.js';

/** A writer on the app's live `ledger` database (the service's registry says where it is). */
export function ledgerWriter(app: INestApplication): IncrementalWriter {
  const ledger = app
    .get(DatabaseRegistry)
    .list()
    .find((db) => db.name === 'ledger')!.path;
  return new IncrementalWriter(ledger);
}

/**
 * A writer of its own connection on a live database while backups run (WAL mode, as the service's): transaction
 * `i` inserts row `i` and rewrites an older row, so the state after any number of transactions is known. A
 * snapshot that is one consistent moment holds exactly the state after `step` transactions, `step` being what
 * its `progress` row says; `expectedRows(step)` is that state.
 */
export class IncrementalWriter {
  private readonly db: Database.Database;
  private timer: NodeJS.Timeout | undefined;
  private step = 0;

  constructor(
    file: string,
    private readonly payloadBytes = 300,
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, touched INTEGER NOT NULL)');
    this.db.exec('CREATE TABLE IF NOT EXISTS progress (id INTEGER PRIMARY KEY CHECK (id = 1), step INTEGER NOT NULL)');
    this.db.exec('INSERT OR IGNORE INTO progress (id, step) VALUES (1, 0)');
    // Opened again (after a restart): it goes on from where the file is.
    this.step = (this.db.prepare('SELECT step FROM progress WHERE id = 1').get() as { step: number }).step;
  }

  /** Runs `count` transactions at once. */
  write(count: number): void {
    const insert = this.db.prepare('INSERT INTO rows (id, payload, touched) VALUES (?, ?, ?)');
    const touch = this.db.prepare('UPDATE rows SET touched = ? WHERE id = ?');
    const progress = this.db.prepare('UPDATE progress SET step = ? WHERE id = 1');
    for (let n = 0; n < count; n++) {
      const i = ++this.step;
      this.db.transaction(() => {
        insert.run(i, payload('row', i, this.payloadBytes), i);
        touch.run(i, touchedBy(i));
        progress.run(i);
      })();
    }
  }

  /** Keeps writing a few transactions every few milliseconds until stop(). */
  start(): void {
    this.timer = setInterval(() => this.write(2), 5);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    this.db.close();
  }

  /** Runs `sql` on the writer's connection (a VACUUM, a page size change). */
  exec(sql: string): void {
    this.db.exec(sql);
  }
}

/** The row transaction `i` rewrites: one of the last 50 (so an increment's pages stay few, as a real writer's). */
function touchedBy(i: number): number {
  return i - (((i * 2654435761) >>> 0) % Math.min(i, 50));
}

/** The rows after `step` transactions, as `SELECT id, payload, touched FROM rows ORDER BY id` returns them. */
export function expectedRows(step: number, payloadBytes = 300): Array<{ id: number; payload: string; touched: number }> {
  const rows = [];
  for (let i = 1; i <= step; i++) rows.push({ id: i, payload: payload('row', i, payloadBytes), touched: i });
  for (let i = 1; i <= step; i++) rows[touchedBy(i) - 1].touched = i;
  return rows;
}

/** The writer's rows and step as a database file holds them. */
export function rowsOf(file: string): { step: number; rows: Array<{ id: number; payload: string; touched: number }> } {
  const db = new Database(file, { readonly: true });
  try {
    const { step } = db.prepare('SELECT step FROM progress WHERE id = 1').get() as { step: number };
    const rows = db.prepare('SELECT id, payload, touched FROM rows ORDER BY id').all() as Array<{ id: number; payload: string; touched: number }>;
    return { step, rows };
  } finally {
    db.close();
  }
}
