import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DatabaseRegistry } from '../database/database-registry.js';

/** The managed database that holds the settings. */
export const CONFIG_DATABASE = 'config';

/**
 * The `settings` table in config.db: key → stored text. A plain key/value table, as Sentinel keeps
 * its other settings, so the R2 keys of the spec sit beside them.
 */
@Injectable()
export class SettingsRepository {
  /** Connections whose table is known to exist; after a restore config.db is a new connection. */
  private readonly prepared = new WeakSet<DataSource>();

  constructor(private readonly registry: DatabaseRegistry) {}

  async all(): Promise<Map<string, string>> {
    const rows: Array<{ key: string; value: string }> = await this.query('SELECT key, value FROM settings');
    return new Map(rows.map((row) => [row.key, row.value]));
  }

  /** Stores several keys in one transaction: a crash between two of them (r2_object_lock_mode and _days) leaves neither. */
  async putMany(entries: ReadonlyArray<readonly [string, string]>): Promise<void> {
    const source = await this.registry.dataSource(CONFIG_DATABASE);
    try {
      await this.withTable(source);
      await source.transaction(async (manager) => {
        for (const [key, value] of entries) {
          await manager.query('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, value]);
        }
      });
    } catch (error) {
      throw this.registry.reportFailure(CONFIG_DATABASE, error);
    }
  }

  async remove(key: string): Promise<void> {
    await this.query('DELETE FROM settings WHERE key = ?', [key]);
  }

  /** A damage SQLite finds only now (past the check at open) becomes the clear DATABASE_DAMAGED error, not a 500. */
  private async query<T>(sql: string, parameters?: unknown[]): Promise<T> {
    const source = await this.registry.dataSource(CONFIG_DATABASE);
    try {
      await this.withTable(source);
      return (await source.query(sql, parameters)) as T;
    } catch (error) {
      throw this.registry.reportFailure(CONFIG_DATABASE, error);
    }
  }

  private async withTable(source: DataSource): Promise<void> {
    if (!this.prepared.has(source)) {
      await source.query('CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)');
      this.prepared.add(source);
    }
  }
}
