import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import { type EntityManager, type FindOperator, In, MoreThanOrEqual } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { BackupTarget } from '../common/backup-target.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { SqliteStore } from '../common/sqlite/sqlite-store.js';
import { BackupRunEntity, type RunKind } from './backup-run.entity.js';

/** A target's ended runs in numbers (BackupRunStore.totals). */
export interface RunTotals {
  failed: number;
  /** Failed runs that ended after the `since` given (all of them when it is null). */
  failedSince: number;
  /** Bytes of the archives the successful runs stored (the archives may since have been rotated away). */
  bytesStored: number;
}

/** The run history's own file. Not a managed database: a restore must not roll the history back. */
export const RUN_HISTORY_FILE = '.backup-runs.db';

/**
 * Persists backup jobs. The running job's byte counts change many times a second; they are kept in
 * memory by BackupJobs and written here only at phase changes and at the end.
 */
@Injectable()
export class BackupRunStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(BackupRunStore.name);
  /** Reads and writes, one at a time (SqliteStore): jobs of several targets save side by side on the driver's single connection. */
  private readonly store: SqliteStore;

  constructor(config: AppConfig) {
    this.store = new SqliteStore({ file: path.join(config.env.dataDir, RUN_HISTORY_FILE), entities: [BackupRunEntity] });
  }

  async onModuleInit(): Promise<void> {
    await this.store.open();
    // Jobs that were running when the process died cannot finish: say so instead of showing them running
    // forever. What they left is removed by the start-up clean-up (StartupRecovery), which then replaces
    // this message with what it actually did.
    const interrupted = await this.store.read((manager) => manager.find(BackupRunEntity, { where: [{ status: 'running' }, { status: 'queued' }] }));
    for (const run of interrupted) {
      run.status = 'failed';
      run.errorCode = ErrorCode.BackupInterrupted;
      run.error =
        run.kind === 'replication'
          ? 'Interrupted: the service stopped while this replication was copying. The start-up clean-up of what it left is under way; the next replication copies what is missing'
          : 'Interrupted: the service stopped while this backup was running. The start-up clean-up of what it left is under way; run the backup again';
      run.finishedAt = new Date().toISOString();
      await this.save(run);
      this.logger.warn(`Marked interrupted backup job ${run.id} (${run.target}) as failed`);
    }
    this.interrupted = interrupted.map((run) => run.id);
  }

  private interrupted: string[] = [];

  /** The jobs this start found interrupted (marked failed). */
  async interruptedAtStart(): Promise<BackupRunEntity[]> {
    const runs: BackupRunEntity[] = [];
    for (const id of this.interrupted) {
      const run = await this.find(id);
      if (run) runs.push(run);
    }
    return runs;
  }

  /** Replaces an interrupted job's message with what the start-up clean-up did. */
  async describeInterruption(id: string, message: string): Promise<void> {
    await this.write((manager) => manager.update(BackupRunEntity, { id }, { error: message }));
  }

  onModuleDestroy(): Promise<void> {
    return this.store.close();
  }

  save(run: BackupRunEntity): Promise<BackupRunEntity> {
    return this.write((manager) => manager.save(BackupRunEntity, run));
  }

  /**
   * `work` in one transaction after the earlier reads and writes. A write a full disk refused leaves the connection
   * idle (SqliteStore says why), so the job's next save is committed instead of silently lost.
   */
  private write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.store.transaction(work);
  }

  find(id: string): Promise<BackupRunEntity | null> {
    return this.store.read((manager) => manager.findOneBy(BackupRunEntity, { id }));
  }

  /** Newest first: backups and replications alike, or one `kind` of them. */
  history(options: { target?: BackupTarget; kind?: RunKind; limit: number }): Promise<BackupRunEntity[]> {
    return this.store.read((manager) =>
      manager.find(BackupRunEntity, {
        where: { ...(options.target ? { target: options.target } : {}), ...(options.kind ? { kind: options.kind } : {}) },
        order: { createdAt: 'DESC', id: 'DESC' },
        take: options.limit,
      }),
    );
  }

  /**
   * The newest ended backup (succeeded or failed) of a target, if any: its last attempt (the health status).
   * This and the queries below count backups only: a replication into a target is not a backup of it.
   */
  lastEnded(target: BackupTarget, since?: string): Promise<BackupRunEntity | null> {
    return this.store.read((manager) =>
      manager.findOne(BackupRunEntity, {
        where: { target, kind: 'backup', status: In(['succeeded', 'failed']), ...createdSince(since) },
        order: { finishedAt: 'DESC', id: 'DESC' },
      }),
    );
  }

  /**
   * A target's ended runs in numbers, from the whole history (never pruned), so the metrics' counters
   * continue across restarts: failed runs (all, and those that ended after `since`), and the bytes of the
   * archives stored by the successful ones.
   */
  async totals(target: BackupTarget, since: string | null): Promise<RunTotals> {
    const row = await this.store.read((manager) =>
      manager
        .createQueryBuilder(BackupRunEntity, 'run')
        .select("COALESCE(SUM(CASE WHEN run.status = 'failed' THEN 1 ELSE 0 END), 0)", 'failed')
        .addSelect("COALESCE(SUM(CASE WHEN run.status = 'failed' AND run.finishedAt > :since THEN 1 ELSE 0 END), 0)", 'failedSince')
        .addSelect("COALESCE(SUM(CASE WHEN run.status = 'succeeded' THEN COALESCE(run.sizeBytes, 0) ELSE 0 END), 0)", 'bytesStored')
        .where('run.target = :target AND run.kind = :kind', { target, kind: 'backup', since: since ?? '' })
        .getRawOne<{ failed: number; failedSince: number; bytesStored: number }>(),
    );
    return { failed: Number(row?.failed ?? 0), failedSince: Number(row?.failedSince ?? 0), bytesStored: Number(row?.bytesStored ?? 0) };
  }

  /**
   * A target's failed replications in numbers (monitoring's per-target replication failures): all of them,
   * and the newest one's end, or null.
   */
  async replicationFailures(target: BackupTarget): Promise<{ failed: number; lastFailedAt: string | null }> {
    const row = await this.store.read((manager) =>
      manager
        .createQueryBuilder(BackupRunEntity, 'run')
        .select('COUNT(*)', 'failed')
        .addSelect('MAX(run.finishedAt)', 'lastFailedAt')
        .where("run.target = :target AND run.kind = 'replication' AND run.status = 'failed'", { target })
        .getRawOne<{ failed: number; lastFailedAt: string | null }>(),
    );
    return { failed: Number(row?.failed ?? 0), lastFailedAt: row?.lastFailedAt ?? null };
  }

  /**
   * The newest successful backup of a target, if any (scheduling's duplicate window and catch-up use it).
   * `since`: an added target's creation; a run of its id from before is a deleted target's of the same id.
   */
  lastSuccess(target: BackupTarget, trigger?: 'manual' | 'scheduled', since?: string): Promise<BackupRunEntity | null> {
    return this.store.read((manager) =>
      manager.findOne(BackupRunEntity, {
        where: { target, kind: 'backup', status: 'succeeded', ...(trigger ? { trigger } : {}), ...createdSince(since) },
        order: { finishedAt: 'DESC' },
      }),
    );
  }
}

/** Runs created at or after `since` (ISO strings compare as times), or every run. */
function createdSince(since: string | undefined): { createdAt?: FindOperator<string> } {
  return since ? { createdAt: MoreThanOrEqual(since) } : {};
}
