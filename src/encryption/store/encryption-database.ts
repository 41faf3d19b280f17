import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import type { EntityManager } from 'typeorm';
import { SqliteStore } from '../../common/sqlite/sqlite-store.js';
import { AppConfig } from '../../config/app-config.js';
import { AdoptedChainEntity } from './adopted-chain.entity.js';
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
 * `.encryption.db`: the per-target state, the keyring and the provenance records (with adopted increments' chains), a SqliteStore (one queue,
 * one transaction per write, full sync, owner-only file).
 */
@Injectable()
export class EncryptionDatabase implements OnModuleInit, OnModuleDestroy {
  private readonly store: SqliteStore;

  constructor(config: AppConfig) {
    this.store = new SqliteStore({
      file: path.join(config.env.dataDir, ENCRYPTION_DB_FILE),
      entities: [TargetEncryptionEntity, KeyringEntryEntity, WrittenArchiveEntity, AdoptedChainEntity],
      ownerOnly: true,
      // A key is on disk before any backup is encrypted to it; deleted or overwritten rows (a forgotten identity, a
      // discarded key) are zeroed, not left in free pages.
      pragmas: ['secure_delete = ON', 'synchronous = FULL'],
      // A kill -9 between deleting a secret and scrubWal leaves its old page in the WAL: empty it at every start.
      afterOpen: async (source) => {
        await source.query('PRAGMA wal_checkpoint(TRUNCATE)');
      },
    });
  }

  get file(): string {
    return this.store.file;
  }

  /** Opened at start, so a damaged file stops the start with its name instead of failing the first backup. */
  async onModuleInit(): Promise<void> {
    await this.store.open();
  }

  onModuleDestroy(): Promise<void> {
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

  /**
   * After secrets were deleted or overwritten (secure_delete zeroes their pages): moves every page into the
   * database file and empties the WAL, whose older frames would still hold the old bytes.
   */
  scrubWal(): Promise<void> {
    return this.store.read(async (manager) => {
      await manager.query('PRAGMA wal_checkpoint(TRUNCATE)');
    });
  }
}
