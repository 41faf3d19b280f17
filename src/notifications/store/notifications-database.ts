import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import type { EntityManager } from 'typeorm';
import { SqliteStore } from '../../common/sqlite/sqlite-store.js';
import { AppConfig } from '../../config/app-config.js';
import { NOTIFICATIONS_ENTITIES } from './notifications-entities.js';

/**
 * The notifications module's own file in DATA_DIR, like the run history: not a managed database, so no
 * backup holds it and no restore rolls back the outbox or a channel's sealed secrets.
 */
export const NOTIFICATIONS_DB_FILE = '.notifications.db';

/**
 * `.notifications.db`: the channels (secrets sealed) and the outbox of deliveries, a SqliteStore (one queue, one
 * transaction per write, full sync: a notification is on disk before anything is sent).
 *
 * Closed at application shutdown, after every module's onModuleDestroy: the dispatcher records the send it
 * aborted, and a notification published while the service stops is still written.
 */
@Injectable()
export class NotificationsDatabase implements OnModuleInit, OnApplicationShutdown {
  private readonly store: SqliteStore;

  constructor(config: AppConfig) {
    this.store = new SqliteStore({
      file: path.join(config.env.dataDir, NOTIFICATIONS_DB_FILE),
      entities: [...NOTIFICATIONS_ENTITIES],
      // Sealed secrets: owner-only, and a deleted channel's are zeroed, not left in free pages.
      ownerOnly: true,
      pragmas: ['secure_delete = ON', 'synchronous = FULL'],
    });
  }

  get file(): string {
    return this.store.file;
  }

  /** Opened at start, so a damaged file stops the start with its name instead of losing the first notification. */
  async onModuleInit(): Promise<void> {
    await this.store.open();
  }

  onApplicationShutdown(): Promise<void> {
    return this.store.close();
  }

  /** `work` in one transaction, after every earlier read and write has finished (SqliteStore). */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.store.transaction(work);
  }

  /** `work` outside a transaction (reads), in the same queue, so it never sees a half-done write. */
  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.store.read(work);
  }
}
