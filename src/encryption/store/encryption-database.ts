import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type EntityManager } from 'typeorm';
import { sqliteTransaction } from '../../common/sqlite/sqlite-transaction.js';
import { AppConfig } from '../../config/app-config.js';
import { KeyringEntryEntity } from './keyring-entry.entity.js';
import { TargetEncryptionEntity } from './target-encryption.entity.js';
import { WrittenArchiveEntity } from './written-archive.entity.js';

/**
 * The encryption module's own file in DATA_DIR. Not a managed database: no backup holds it (no key is ever
 * in a backup) and no restore rolls it back (a restore must not bring back a key the user retired, nor lose
 * the one that encrypts the backups made since).
 */
export const ENCRYPTION_DB_FILE = '.encryption.db';

/**
 * `.encryption.db`: the per-target state, the keyring and the provenance records, through its own TypeORM
 * DataSource (better-sqlite3, WAL, full sync: a key is on disk before any backup is encrypted to it).
 *
 * Every read and write goes through one queue, and each write is one SQLite transaction: the driver has a
 * single connection, so two transactions interleaved at their awaits would nest (an error) or read each
 * other's uncommitted rows; a kill -9 leaves either the whole change or none of it.
 */
@Injectable()
export class EncryptionDatabase implements OnModuleInit, OnModuleDestroy {
  private source: DataSource | undefined;
  private opening: Promise<DataSource> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly config: AppConfig) {}

  get file(): string {
    return path.join(this.config.env.dataDir, ENCRYPTION_DB_FILE);
  }

  /** Opened at start, so a damaged file stops the start with its name instead of failing the first backup. */
  async onModuleInit(): Promise<void> {
    await this.open();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    await this.tail;
    if (this.source?.isInitialized) await this.source.destroy();
  }

  /**
   * `work` in one transaction, after every earlier read and write has finished. A failed one (a full disk)
   * leaves the connection idle, so the next write is committed on its own (sqliteTransaction says why).
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.serial(async () => sqliteTransaction(await this.open(), work));
  }

  /** `work` outside a transaction (reads), in the same queue, so it never sees a half-done write. */
  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.serial(async () => work((await this.open()).manager));
  }

  /**
   * After secrets were deleted or overwritten (secure_delete zeroes their pages): moves every page into the
   * database file and empties the WAL, whose older frames would still hold the old bytes.
   */
  scrubWal(): Promise<void> {
    return this.serial(async () => {
      await (await this.open()).query('PRAGMA wal_checkpoint(TRUNCATE)');
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${this.file} is closed: the service is stopping`));
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private open(): Promise<DataSource> {
    this.opening ??= (async () => {
      fs.mkdirSync(this.config.env.dataDir, { recursive: true, mode: 0o700 });
      // Owner-only before SQLite first writes to it; SQLite gives its -wal and -shm files the same mode.
      fs.closeSync(fs.openSync(this.file, 'a', 0o600));
      fs.chmodSync(this.file, 0o600);
      const source = new DataSource({
        type: 'better-sqlite3',
        database: this.file,
        entities: [TargetEncryptionEntity, KeyringEntryEntity, WrittenArchiveEntity],
        synchronize: true,
        enableWAL: true,
        // Deleted or overwritten rows (a forgotten identity, a discarded key) are zeroed, not left in free pages.
        prepareDatabase: (db: { pragma(source: string): unknown }) => {
          db.pragma('secure_delete = ON');
          db.pragma('synchronous = FULL');
        },
      });
      await source.initialize();
      // A kill -9 between deleting a secret and scrubWal leaves its old page in the WAL: empty it at every start.
      await source.query('PRAGMA wal_checkpoint(TRUNCATE)');
      this.source = source;
      return source;
    })();
    return this.opening;
  }
}
