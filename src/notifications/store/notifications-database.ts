import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type EntityManager } from 'typeorm';
import { sqliteTransaction } from '../../common/sqlite/sqlite-transaction.js';
import { AppConfig } from '../../config/app-config.js';
import { NOTIFICATIONS_ENTITIES } from './notifications-entities.js';

/**
 * The notifications module's own file in DATA_DIR, like the run history: not a managed database, so no
 * backup holds it and no restore rolls back the outbox or a channel's sealed secrets.
 */
export const NOTIFICATIONS_DB_FILE = '.notifications.db';

/**
 * `.notifications.db`: the channels (secrets sealed) and the outbox of deliveries, through its own TypeORM
 * DataSource (better-sqlite3, WAL, full sync: a notification is on disk before anything is sent).
 *
 * Every read and write goes through one queue, and each write is one SQLite transaction: the driver has a
 * single connection, so two transactions interleaved at their awaits would nest (an error) or read each
 * other's uncommitted rows; a kill -9 leaves either the whole change or none of it.
 *
 * Closed at application shutdown, after every module's onModuleDestroy: the dispatcher records the send it
 * aborted, and a notification published while the service stops is still written.
 */
@Injectable()
export class NotificationsDatabase implements OnModuleInit, OnApplicationShutdown {
  private source: DataSource | undefined;
  private opening: Promise<DataSource> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly config: AppConfig) {}

  get file(): string {
    return path.join(this.config.env.dataDir, NOTIFICATIONS_DB_FILE);
  }

  /** Opened at start, so a damaged file stops the start with its name instead of losing the first notification. */
  async onModuleInit(): Promise<void> {
    await this.open();
  }

  async onApplicationShutdown(): Promise<void> {
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

  private serial<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${this.file} is closed: the service is stopping`));
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private open(): Promise<DataSource> {
    this.opening ??= (async () => {
      fs.mkdirSync(this.config.env.dataDir, { recursive: true, mode: 0o700 });
      // Owner-only before SQLite first writes to it (sealed secrets); SQLite gives its -wal and -shm files the same mode.
      fs.closeSync(fs.openSync(this.file, 'a', 0o600));
      fs.chmodSync(this.file, 0o600);
      const source = new DataSource({
        type: 'better-sqlite3',
        database: this.file,
        entities: [...NOTIFICATIONS_ENTITIES],
        synchronize: true,
        enableWAL: true,
        prepareDatabase: (db: { pragma(source: string): unknown }) => {
          // A deleted channel's sealed secrets are zeroed, not left in free pages.
          db.pragma('secure_delete = ON');
          db.pragma('synchronous = FULL');
        },
      });
      await source.initialize();
      this.source = source;
      return source;
    })();
    return this.opening;
  }
}
