import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import type { AuditEntry, NewAuditEntry } from './audit-entry.js';

/** Kept in DATA_DIR beside the managed databases but not one of them: no backup holds it and no restore replaces it. */
export const AUDIT_DB_FILE = '.audit.db';
/** The log keeps this many newest entries of requests it served (a few MB); older ones are pruned as new ones come. */
export const AUDIT_MAX_ENTRIES = 100_000;
/**
 * Refused requests are kept apart, fewer: any web page can make a browser send refused requests by the
 * thousand, and they must never push out the record of who changed or restored something.
 */
export const AUDIT_MAX_REFUSED = 10_000;
const PRUNE_EVERY = 500;

/**
 * The audit log: its own SQLite file (WAL) opened directly with better-sqlite3, outside the TypeORM
 * registry of managed databases, so a restore cannot erase the record of who restored. Writes are
 * synchronous and tiny (one INSERT), so an entry is on disk when the response has gone. Nothing here
 * decides what is recorded; callers pass bounded, printable strings (AuditRecorder does).
 */
@Injectable()
export class AuditLog implements OnModuleDestroy {
  private readonly logger = new Logger('Audit');
  private db: Database.Database | undefined;
  private insertsSincePrune = 0;
  /** How much is kept (tests lower them). */
  readonly limits = { entries: AUDIT_MAX_ENTRIES, refused: AUDIT_MAX_REFUSED, pruneEvery: PRUNE_EVERY };
  private closed = false;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  get file(): string {
    return path.join(this.config.env.dataDir, AUDIT_DB_FILE);
  }

  /** Never throws: a full disk must not turn a finished request into an error; the service log says what was lost. */
  record(entry: NewAuditEntry): void {
    try {
      this.recordOrThrow(entry);
    } catch (error) {
      this.logger.error(`Cannot record ${entry.action} in the audit log ${this.file}: ${(error as Error).message}`);
    }
  }

  /** For an action that must not happen unrecorded (a key export): the caller refuses the action when this throws. */
  recordOrThrow(entry: NewAuditEntry): void {
    this.withDb((db) => {
      db.prepare(
        `INSERT INTO audit (at, action, target, subject, outcome, status_code, error, client, user_agent, method, path)
         VALUES (@at, @action, @target, @subject, @outcome, @status_code, @error, @client, @user_agent, @method, @path)`,
      ).run({ ...entry, at: entry.at ?? this.clock.now().toISOString() });
      if (++this.insertsSincePrune >= this.limits.pruneEvery) {
        this.insertsSincePrune = 0;
        // Each kind keeps its newest N: the id of the N-th newest is the cut (none when there are fewer).
        const prune = (kind: string, keep: number) =>
          db.prepare(`DELETE FROM audit WHERE ${kind} AND id < (SELECT id FROM audit WHERE ${kind} ORDER BY id DESC LIMIT 1 OFFSET ?)`).run(keep - 1);
        prune(`outcome = 'refused'`, this.limits.refused);
        prune(`outcome != 'refused'`, this.limits.entries);
      }
    });
  }

  /** Newest first; `before` is an entry id, for paging back. */
  list(options: { limit: number; before?: number }): AuditEntry[] {
    return this.withDb(
      (db) =>
        db.prepare(`SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?`).all(options.before ?? Number.MAX_SAFE_INTEGER, options.limit) as AuditEntry[],
    );
  }

  /** The newest entry of `action` that succeeded for `subject`, if any (who staged the restore being applied). */
  latest(action: string, target: string, subject: string): AuditEntry | undefined {
    return this.withDb(
      (db) =>
        db
          .prepare(`SELECT * FROM audit WHERE action = ? AND target = ? AND subject = ? AND outcome = 'ok' ORDER BY id DESC LIMIT 1`)
          .get(action, target, subject) as AuditEntry | undefined,
    );
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.db?.close();
    this.db = undefined;
  }

  /**
   * The open connection, opened on first use. A request that ends after the app has closed (the
   * answer of a restore that restarts the service) still gets its entry, through a short-lived one.
   */
  private withDb<T>(work: (db: Database.Database) => T): T {
    if (this.closed) {
      const db = this.open();
      try {
        return work(db);
      } finally {
        db.close();
      }
    }
    this.db ??= this.open();
    return work(this.db);
  }

  private open(): Database.Database {
    fs.mkdirSync(this.config.env.dataDir, { recursive: true, mode: 0o700 });
    const db = new Database(this.file);
    try {
      fs.chmodSync(this.file, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 2000');
      db.exec(`CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        subject TEXT,
        outcome TEXT NOT NULL,
        status_code INTEGER,
        error TEXT,
        client TEXT NOT NULL,
        user_agent TEXT,
        method TEXT,
        path TEXT
      )`);
    } catch (error) {
      db.close();
      throw error;
    }
    return db;
  }
}
