import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { BackupTarget } from '../common/backup-target.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { BackupRunEntity } from './backup-run.entity.js';

/** The run history's own file. Not a managed database: a restore must not roll the history back. */
export const RUN_HISTORY_FILE = '.backup-runs.db';

/**
 * Persists backup jobs. The running job's byte counts change many times a second; they are kept in
 * memory by BackupJobs and written here only at phase changes and at the end.
 */
@Injectable()
export class BackupRunStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(BackupRunStore.name);
  private source: DataSource | undefined;
  private repository!: Repository<BackupRunEntity>;

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    fs.mkdirSync(this.config.env.dataDir, { recursive: true, mode: 0o700 });
    this.source = new DataSource({
      type: 'better-sqlite3',
      database: path.join(this.config.env.dataDir, RUN_HISTORY_FILE),
      entities: [BackupRunEntity],
      synchronize: true,
      enableWAL: true,
    });
    await this.source.initialize();
    this.repository = this.source.getRepository(BackupRunEntity);
    // Jobs that were running when the process died cannot finish: say so instead of showing them running
    // forever. What they left is removed by the start-up clean-up (StartupRecovery), which then replaces
    // this message with what it actually did.
    const interrupted = await this.repository.find({ where: [{ status: 'running' }, { status: 'queued' }] });
    for (const run of interrupted) {
      run.status = 'failed';
      run.errorCode = ErrorCode.BackupInterrupted;
      run.error = 'Interrupted: the service stopped while this backup was running. The start-up clean-up of what it left is under way; run the backup again';
      run.finishedAt = new Date().toISOString();
      await this.repository.save(run);
      this.logger.warn(`Marked interrupted backup job ${run.id} (${run.target}) as failed`);
    }
    this.interrupted = interrupted.map((run) => run.id);
  }

  private interrupted: string[] = [];

  /** The jobs this start found interrupted (marked failed). */
  async interruptedAtStart(): Promise<BackupRunEntity[]> {
    const runs: BackupRunEntity[] = [];
    for (const id of this.interrupted) {
      const run = await this.repository.findOneBy({ id });
      if (run) runs.push(run);
    }
    return runs;
  }

  /** Replaces an interrupted job's message with what the start-up clean-up did. */
  async describeInterruption(id: string, message: string): Promise<void> {
    await this.repository.update({ id }, { error: message });
  }

  async onModuleDestroy(): Promise<void> {
    if (this.source?.isInitialized) await this.source.destroy();
  }

  save(run: BackupRunEntity): Promise<BackupRunEntity> {
    return this.repository.save(run);
  }

  find(id: string): Promise<BackupRunEntity | null> {
    return this.repository.findOneBy({ id });
  }

  /** Newest first. */
  history(options: { target?: BackupTarget; limit: number }): Promise<BackupRunEntity[]> {
    return this.repository.find({
      where: options.target ? { target: options.target } : {},
      order: { createdAt: 'DESC', id: 'DESC' },
      take: options.limit,
    });
  }

  /** The newest successful run of a target, if any (scheduling's duplicate window and catch-up use it). */
  lastSuccess(target: BackupTarget, trigger?: 'manual' | 'scheduled'): Promise<BackupRunEntity | null> {
    return this.repository.findOne({
      where: { target, status: 'succeeded', ...(trigger ? { trigger } : {}) },
      order: { finishedAt: 'DESC' },
    });
  }
}
