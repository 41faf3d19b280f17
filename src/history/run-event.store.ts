import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import { SqliteStore } from '../common/sqlite/sqlite-store.js';
import { AppConfig } from '../config/app-config.js';
import { RunEventEntity } from './run-event.entity.js';
import type { RunKindName } from './run-row.js';

/** The recorded events' own file in DATA_DIR. Not a managed database: a restore must not roll the history back. */
export const RUN_EVENTS_FILE = '.run-events.db';

/** Rows kept per target: the newest; older ones are removed as new ones arrive, so the file stays small. */
export const RUN_EVENTS_KEPT_PER_TARGET = 1000;

export type NewRunEvent = Omit<RunEventEntity, 'id'>;

/** Verifications, rotations and restores as they ended (RunEventRecorder writes them), newest first. */
@Injectable()
export class RunEventStore implements OnModuleInit, OnModuleDestroy {
  private readonly store: SqliteStore;

  constructor(config: AppConfig) {
    this.store = new SqliteStore({ file: path.join(config.env.dataDir, RUN_EVENTS_FILE), entities: [RunEventEntity] });
  }

  /** Opened at start, before a restore applied at start emits its outcome (bootstrap hooks run after every init). */
  async onModuleInit(): Promise<void> {
    await this.store.open();
  }

  onModuleDestroy(): Promise<void> {
    return this.store.close();
  }

  /** Adds a row and drops the target's rows beyond the newest RUN_EVENTS_KEPT_PER_TARGET, in one transaction. */
  async add(event: NewRunEvent): Promise<void> {
    await this.store.transaction(async (manager) => {
      await manager.insert(RunEventEntity, event);
      await manager.query('DELETE FROM run_events WHERE target = ? AND id NOT IN (SELECT id FROM run_events WHERE target = ? ORDER BY id DESC LIMIT ?)', [
        event.target,
        event.target,
        RUN_EVENTS_KEPT_PER_TARGET,
      ]);
    });
  }

  /** Newest first (by start), of one target and one kind when given. */
  list(options: { target?: string; kinds?: readonly RunKindName[]; limit: number }): Promise<RunEventEntity[]> {
    return this.store.read((manager) => {
      const query = manager.createQueryBuilder(RunEventEntity, 'run').orderBy('run.startedAt', 'DESC').addOrderBy('run.id', 'DESC').take(options.limit);
      if (options.target) query.andWhere('run.target = :target', { target: options.target });
      if (options.kinds) query.andWhere('run.kind IN (:...kinds)', { kinds: options.kinds });
      return query.getMany();
    });
  }
}
