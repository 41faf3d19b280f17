import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import type { BackupMetadata } from '../archive-format/backup-metadata.js';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { formatBytes } from '../common/format.js';
import { RestartSignal } from '../common/lifecycle/restart-signal.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { extractArchive } from './archive-reader/archive-extractor.js';
import { assertBackupFilename, BackupArchiveOpener } from './archive-reader/backup-archive-opener.js';
import { requireIntegrity } from './archive-reader/database-checks.js';
import { fsyncPath, sizeOf } from '../common/fs/durable-fs.js';
import { type LastApply, LastApplyStore } from './last-apply.store.js';
import { createWorkFolder } from '../common/fs/work-folder.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';
import { DiskSpace } from '../common/fs/disk-space.service.js';
import { type RestoreJournal, RestoreJournalStore } from './restore-journal.store.js';
import { compactTimestamp, STAGING_PREFIX } from './restore-paths.js';

/** Room kept free beyond the estimate, so a restore never fills the disk to the last byte. */
const SPACE_MARGIN = 64 * 1024 * 1024;

export type StagingPhase = 'downloading' | 'checking';

/** A restore being staged right now. */
export interface StagingProgress {
  target: BackupTarget;
  archive: string;
  startedAt: string;
  phase: StagingPhase;
  bytesRead: number;
  archiveBytes: number;
}

export interface RestoreStatus {
  staged: RestoreJournal | null;
  staging: StagingProgress | null;
  lastApply: LastApply | null;
}

interface RunningStage {
  progress: StagingProgress;
  abort: AbortController;
  done: Promise<unknown>;
}

/**
 * Phase 1 of the two-phase restore: stage a backup (download, extract safely, verify every checksum
 * and integrity, then write the `.pending-restore` flag), cancel a staged restore, and report the state.
 * The live databases are never touched here; RestoreApplier swaps them in at the next start.
 */
@Injectable()
export class RestoreService implements OnModuleDestroy {
  private readonly logger = new Logger('Restore');
  private running: RunningStage | undefined;

  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly source: BackupArchiveOpener,
    private readonly journals: RestoreJournalStore,
    private readonly lastApply: LastApplyStore,
    private readonly disk: DiskSpace,
    private readonly restart: RestartSignal,
    private readonly clock: Clock,
    private readonly identity: InstallationIdentity,
  ) {}

  /**
   * Stages `filename` of `target` for restore. Any failure leaves nothing behind: no staging folder,
   * no flag, live databases untouched. With `restart`, the service then restarts and applies it;
   * without, it applies at the next start, whenever that comes, and can be cancelled until then.
   */
  async stage(target: BackupTarget, filename: string, options: { restart: boolean }): Promise<RestoreJournal> {
    assertBackupFilename(filename);
    if (this.running) {
      const { progress } = this.running;
      throw new DomainError(
        ErrorCode.RestoreInProgress,
        `A restore of ${progress.archive} (${targetLabel(progress.target)}) is being staged since ${progress.startedAt}; only one restore is staged at a time. Wait for it to finish (GET /api/restore/status)`,
        { archive: progress.archive, target: progress.target },
      );
    }
    // Registered before the first await, so a second request in the same tick gets 409.
    const running: RunningStage = {
      progress: { target, archive: filename, startedAt: this.clock.now().toISOString(), phase: 'downloading', bytesRead: 0, archiveBytes: 0 },
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    this.running = running;
    const work = this.runStage(running, options.restart);
    running.done = work.catch(() => undefined);
    try {
      return await work;
    } finally {
      this.running = undefined;
    }
  }

  private async runStage(running: RunningStage, restart: boolean): Promise<RestoreJournal> {
    const { target, archive } = running.progress;
    const signal = running.abort.signal;
    const existing = await this.journals.read();
    if (existing) {
      throw new DomainError(
        ErrorCode.RestoreInProgress,
        `A restore of ${existing.archive} (${targetLabel(existing.target)}) is already staged (since ${existing.staged_at}) and will be applied at the next start. ` +
          `Cancel it first with DELETE /api/backups/${existing.target}/restore/staged`,
        { archive: existing.archive, target: existing.target },
      );
    }
    const label = `${targetLabel(target)} restore of ${archive}`;
    this.logger.log(`${label}: staging`);
    const { body, size } = await this.source.open(target, archive, signal);
    running.progress.archiveBytes = size;
    let dir: string | undefined;
    try {
      // Before a single byte is written: the space the archive's size tells (the metadata, read first, refines it).
      await this.checkSpace(archive, size);
      dir = await createWorkFolder(this.identity, this.registry.dataDir, `${STAGING_PREFIX}${compactTimestamp(this.clock.now())}-`, 'restore-staging');
      const extracted = await extractArchive(body, {
        dir,
        archive,
        managed: this.registry.list().map((db) => db.name),
        mode: 'fail-fast',
        durable: true,
        signal,
        onMetadata: (metadata) => this.checkSpace(archive, size, metadata),
        onProgress: (bytes) => (running.progress.bytesRead = bytes),
      });
      running.progress.phase = 'checking';
      await requireIntegrity(extracted.databases, signal);
      await fsyncPath(dir);
      signal.throwIfAborted();
      const journal: RestoreJournal = {
        format: 1,
        state: 'staged',
        archive,
        target,
        staging_dir: dir,
        staged_at: this.clock.now().toISOString(),
        backup_timestamp: extracted.metadata.timestamp,
        backup_sentinel_version: String(extracted.metadata.sentinel_version ?? ''),
        restart_requested: restart,
        databases: extracted.databases.map((db) => ({ name: db.name, filename: db.filename, size_bytes: db.sizeBytes, checksum: db.expectedChecksum })),
      };
      // The flag is written last and atomically: it exists only for a complete, verified staging folder.
      await this.journals.write(journal);
      this.logger.log(
        `${label}: staged and verified (${journal.databases.length} databases, backup of ${journal.backup_timestamp}); ` +
          (restart ? 'restarting to apply it' : 'it will be applied at the next start'),
      );
      if (restart) this.restart.request(`restore of ${archive} staged`);
      return journal;
    } catch (error) {
      if (!body.destroyed) body.destroy();
      if (dir) await fs.promises.rm(dir, { recursive: true, force: true });
      const reason = signal.aborted ? (signal.reason as Error) : (error as Error);
      const where = error instanceof DomainError && typeof error.details?.check === 'string' ? ` (${String(error.details.check)} check, ${String(error.details.file)})` : '';
      this.logger.error(`${label} failed${where}: ${reason.message}. Nothing was staged; the databases are unchanged`);
      throw reason;
    }
  }

  /** Withdraws the staged restore of `target`: removes the flag, then the staging folder. */
  async cancel(target: BackupTarget): Promise<RestoreJournal> {
    if (this.running) {
      throw new DomainError(ErrorCode.RestoreInProgress, `A restore of ${this.running.progress.archive} is being staged right now; wait for it to finish, then cancel it`, {
        archive: this.running.progress.archive,
      });
    }
    const journal = await this.staged(target);
    await this.journals.remove();
    await fs.promises.rm(this.journals.stagingDir(journal), { recursive: true, force: true });
    this.logger.log(`${targetLabel(journal.target)} restore of ${journal.archive} cancelled; nothing will be applied`);
    return journal;
  }

  /** The staged restore of `target`; 404 when none is (or the staged one comes from the other target). */
  async staged(target: BackupTarget): Promise<RestoreJournal> {
    const journal = await this.journals.read();
    if (!journal) throw new DomainError(ErrorCode.RestoreNotStaged, 'No restore is staged', { target });
    if (journal.target !== target) {
      throw new DomainError(
        ErrorCode.RestoreNotStaged,
        `No restore from ${targetLabel(target)} is staged; the staged restore (${journal.archive}) comes from ${targetLabel(journal.target)}: /api/backups/${journal.target}/restore/staged`,
        { target, staged_target: journal.target },
      );
    }
    return journal;
  }

  async status(): Promise<RestoreStatus> {
    const progress = this.running?.progress;
    return {
      staged: (await this.journals.read()) ?? null,
      staging: progress ? { ...progress } : null,
      lastApply: await this.lastApply.read(),
    };
  }

  /** On shutdown a staging in progress is cancelled and cleaned up (it never writes its flag afterwards). */
  async onModuleDestroy(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.abort.abort(new DomainError(ErrorCode.DatabaseUnavailable, 'The service is shutting down; the restore was not staged. Stage it again once the service is back'));
    await running.done;
  }

  /**
   * Staging needs room for the staged databases now and, at the apply, for the safety copy of the
   * current ones; the spec's rule of thumb (twice the largest database plus the archive) is the floor.
   * Before the metadata is read, the archive's size stands in for the staged databases.
   */
  private async checkSpace(archive: string, archiveBytes: number, metadata?: BackupMetadata): Promise<void> {
    const live: number[] = [];
    for (const db of this.registry.list()) live.push((await sizeOf(db.path)) + (await sizeOf(`${db.path}-wal`)));
    const stagedSizes = metadata?.databases.map((db) => db.size_bytes) ?? [];
    const largest = Math.max(0, ...live, ...stagedSizes);
    const staged = metadata ? stagedSizes.reduce((a, b) => a + b, 0) : archiveBytes;
    const safety = live.reduce((a, b) => a + b, 0);
    const needed = Math.max(2 * largest + archiveBytes, staged + safety) + SPACE_MARGIN;
    const dir = this.registry.dataDir;
    const available = await this.disk.available(dir);
    if (available >= needed) return;
    throw new DomainError(
      ErrorCode.InsufficientDiskSpace,
      `Not enough free disk space in ${dir} to restore ${archive}: ${formatBytes(needed)} needed ` +
        `(${formatBytes(staged)} for the staged databases and ${formatBytes(safety)} for the safety copy of the current ones; ` +
        `at least twice the largest database plus the archive, with a margin), ${formatBytes(available)} available. Free up space there and try again`,
      { path: dir, needed_bytes: needed, available_bytes: available },
    );
  }
}
