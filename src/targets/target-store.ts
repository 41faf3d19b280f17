import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import { DatabaseRegistry } from '../database/database-registry.js';

/** config.db: the settings' database, so added targets are backed up and restored with the R2 settings. */
const CONFIG_DATABASE = 'config';

/** One added target as stored: its id and its fields as JSON (secrets sealed, see StoredTargetFields). */
export interface StoredTargetRow {
  id: string;
  definition: string;
  /** When the row was added (the Clock's time): a run or record of the same id older than it is another target's. */
  created_at?: string;
}

/**
 * The `targets` table in config.db: one row per destination added through /api/targets. It sits beside the
 * `settings` table on purpose: config.db is one of the seven databases every backup carries, so a restore brings
 * back the destinations together with the R2 settings, and an older version that does not know the table leaves
 * it alone. The fields are one JSON document per row, so a field added later (by the features that read the
 * definition) needs no schema change.
 *
 * `built_in_target_options` holds what `local` and `r2` have beyond the spec's settings keys: their incremental
 * policy (issue 19), one JSON object per target. It is not a settings key because it is one object per target
 * (a boolean, "daily" | "weekly" | a count, and a decimal ratio) that the settings model of one scalar per key, all
 * shown by GET /api/settings and the settings page, does not fit; it sits in config.db beside the added targets
 * (whose rows hold their policy in their JSON) so a restore brings back every target's policy with the targets.
 */
@Injectable()
export class TargetStore {
  /** Connections whose table is known to exist; after a restore config.db is a new connection. */
  private readonly prepared = new WeakSet<DataSource>();

  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly clock: Clock,
  ) {}

  async all(): Promise<StoredTargetRow[]> {
    return this.query<StoredTargetRow[]>('SELECT id, definition, created_at FROM targets ORDER BY created_at, id');
  }

  /** Adds a row; false when the id is taken (checked by the primary key, so two requests cannot both add it). */
  async insert(id: string, definition: string): Promise<boolean> {
    const result = await this.query<unknown>('INSERT INTO targets (id, definition, created_at) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING RETURNING id', [
      id,
      definition,
      this.clock.now().toISOString(),
    ]);
    return Array.isArray(result) && result.length === 1;
  }

  async replace(id: string, definition: string): Promise<void> {
    await this.query('UPDATE targets SET definition = ? WHERE id = ?', [definition, id]);
  }

  async remove(id: string): Promise<void> {
    await this.query('DELETE FROM targets WHERE id = ?', [id]);
  }

  /** The incremental policy (JSON) stored for the built-in target `id`, or undefined when it never set one. */
  async builtInIncremental(id: string): Promise<string | undefined> {
    const rows = await this.query<Array<{ incremental: string }>>('SELECT incremental FROM built_in_target_options WHERE id = ?', [id]);
    return rows[0]?.incremental;
  }

  async setBuiltInIncremental(id: string, incremental: string): Promise<void> {
    await this.query('INSERT INTO built_in_target_options (id, incremental) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET incremental = excluded.incremental', [
      id,
      incremental,
    ]);
  }

  /** A damage SQLite finds only now (past the check at open) becomes the clear DATABASE_DAMAGED error, not a 500. */
  private async query<T>(sql: string, parameters?: unknown[]): Promise<T> {
    const source = await this.registry.dataSource(CONFIG_DATABASE);
    try {
      if (!this.prepared.has(source)) {
        await source.query('CREATE TABLE IF NOT EXISTS targets (id TEXT PRIMARY KEY NOT NULL, definition TEXT NOT NULL, created_at TEXT NOT NULL)');
        await source.query('CREATE TABLE IF NOT EXISTS built_in_target_options (id TEXT PRIMARY KEY NOT NULL, incremental TEXT NOT NULL)');
        this.prepared.add(source);
      }
      return (await source.query(sql, parameters)) as T;
    } catch (error) {
      throw this.registry.reportFailure(CONFIG_DATABASE, error);
    }
  }
}
