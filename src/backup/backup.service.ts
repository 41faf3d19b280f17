import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { backupFilename, parseBackupFilename } from '../archive-format/backup-filename.js';
import { type BackupMetadata, type DatabaseEntry, isoSeconds, METADATA_FORMAT_VERSION } from '../archive-format/backup-metadata.js';
import { APP_VERSION } from '../common/app-version.js';
import { mapConcurrently } from '../common/concurrency.js';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { BackupCompletedEvent, BackupFailedEvent, BackupProgressEvent, BackupStartedEvent } from './backup.events.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { backupSpaceNeeds, liveDatabaseBytes } from '../common/fs/backup-space.js';
import { DiskSpace } from '../common/fs/disk-space.service.js';
import { createWorkFolder, SCRATCH_PREFIX } from '../common/fs/work-folder.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';
import { formatBytes } from '../common/format.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { snapshotDatabase } from '../database/sqlite-snapshot.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { SettingsService } from '../settings/settings.service.js';
import { archiveMaxBytes, openArchiveStream, tarSize } from './archive-writer/backup-archive-writer.js';
import { type BackupPhase, BackupRunEntity } from './backup-run.entity.js';
import { BackupRunStore } from './backup-run.store.js';
import { StartupRecovery } from './startup-recovery.service.js';

const PROGRESS_INTERVAL_MS = 250;
/**
 * Two snapshots at a time, each in its own worker: a snapshot alternates page reads, writes, the
 * copy's fsync and its SHA-256, so two overlap well on 2 cores (the bench's 1 GB: 4.3 s one at a
 * time, 2.3 s two at a time). Each database is still its own single point in time.
 */
const SNAPSHOTS_IN_PARALLEL = 2;

interface RunningJob {
  run: BackupRunEntity;
  abort: AbortController;
  done: Promise<BackupRunEntity>;
}

/**
 * Creates backups: consistent snapshots of every managed database, an archive in the spec's layout
 * streamed through tar and parallel gzip straight into the target. One job at a time per target.
 */
@Injectable()
export class BackupService implements OnModuleDestroy {
  private readonly logger = new Logger('Backup');
  private readonly running = new Map<BackupTarget, RunningJob>();
  /** Per target: a local and an R2 backup running together each report their own progress. */
  private readonly lastProgressAt = new Map<BackupTarget, number>();

  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly storage: StorageTargets,
    private readonly runs: BackupRunStore,
    private readonly events: DomainEventBus,
    private readonly clock: Clock,
    private readonly settings: SettingsService,
    private readonly disk: DiskSpace,
    private readonly identity: InstallationIdentity,
    private readonly recovery: StartupRecovery,
  ) {}

  /** Starts a backup and returns its job at once; 409 (BackupInProgress) when one is running for the target. */
  async start(target: BackupTarget, trigger: 'manual' | 'scheduled'): Promise<BackupRunEntity> {
    return (await this.launch(target, trigger)).run;
  }

  /** Starts a backup and waits for it to end (the scheduler's use). Resolves with the finished job, failed or not. */
  async runToCompletion(target: BackupTarget, trigger: 'manual' | 'scheduled'): Promise<BackupRunEntity> {
    return (await this.launch(target, trigger)).done;
  }

  /** The running job of a target, if any. */
  runningJob(target: BackupTarget): BackupRunEntity | undefined {
    return this.running.get(target)?.run;
  }

  /** A job by id: the live state while it runs, else the stored one. */
  async job(id: string): Promise<BackupRunEntity> {
    for (const job of this.running.values()) if (job.run.id === id) return job.run;
    const stored = await this.runs.find(id);
    if (!stored) throw new DomainError(ErrorCode.JobNotFound, `No backup job with id '${id}'`, { id });
    return stored;
  }

  async history(target: BackupTarget | undefined, limit: number): Promise<BackupRunEntity[]> {
    const stored = await this.runs.history({ target, limit });
    // The stored copy of a running job lags behind; show the live one.
    return stored.map((run) => [...this.running.values()].find((job) => job.run.id === run.id)?.run ?? run);
  }

  /** On shutdown (including the restart after a staged restore) running jobs are cancelled and cleaned up. */
  async onModuleDestroy(): Promise<void> {
    const jobs = [...this.running.values()];
    for (const job of jobs) job.abort.abort(new Error('the service is shutting down'));
    await Promise.allSettled(jobs.map((job) => job.done));
  }

  private async launch(target: BackupTarget, trigger: 'manual' | 'scheduled'): Promise<RunningJob> {
    // A damaged database is never archived: rotation could then delete the good backups a restore needs.
    this.registry.assertIntact();
    // Before any work: no job, no snapshot, no scratch folder for a backup that cannot be stored anywhere.
    const missing = await this.storage.get(target).missingConfiguration();
    if (missing) throw new DomainError(ErrorCode.TargetNotConfigured, `Cannot back up to ${targetLabel(target)}: ${missing}`, { target });
    // From here to the registration below nothing awaits, so a second request in the same tick gets 409.
    const current = this.running.get(target);
    if (current) {
      throw new DomainError(
        ErrorCode.BackupInProgress,
        `A ${targetLabel(target)} backup is already running (job ${current.run.id}, ${current.run.phase}). Wait for it to finish; its state is at GET /api/backup-jobs/${current.run.id}`,
        { job_id: current.run.id },
      );
    }
    const now = this.clock.now().toISOString();
    const run = Object.assign(new BackupRunEntity(), {
      id: randomUUID(),
      target,
      trigger,
      status: 'queued',
      phase: 'queued',
      bytesDone: 0,
      bytesTotal: 0,
      filename: null,
      sizeBytes: null,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      error: null,
    } satisfies Partial<BackupRunEntity>) as BackupRunEntity;
    const abort = new AbortController();
    // Registered before the first await, so a second request in the same tick sees it and gets 409.
    const job: RunningJob = { run, abort, done: undefined as unknown as Promise<BackupRunEntity> };
    this.running.set(target, job);
    job.done = this.runs
      .save({ ...run })
      .then(() => this.execute(job))
      .finally(() => this.running.delete(target));
    // The caller may not await `done`; failures are recorded in the job, never unhandled.
    job.done.catch(() => undefined);
    return job;
  }

  private async execute(job: RunningJob): Promise<BackupRunEntity> {
    const { run, abort } = job;
    const label = targetLabel(run.target);
    const started = Date.now();
    run.status = 'running';
    run.startedAt = this.clock.now().toISOString();
    this.events.emit(new BackupStartedEvent(run.id, run.target, run.trigger));
    this.logger.log(`${label} backup started (job ${run.id}, ${run.trigger})`);
    try {
      const { filename, size } = await this.createArchive(run, abort.signal);
      run.status = 'succeeded';
      run.phase = 'done';
      run.filename = filename;
      run.sizeBytes = size;
      run.bytesDone = run.bytesTotal;
      run.finishedAt = this.clock.now().toISOString();
      run.durationMs = Date.now() - started;
      await this.runs.save({ ...run });
      this.events.emit(new BackupCompletedEvent(run.id, run.target, filename, size, run.durationMs));
      this.logger.log(`${label} backup completed: ${filename} (${formatBytes(size)}) in ${(run.durationMs / 1000).toFixed(1)} s`);
    } catch (error) {
      const reason = abort.signal.aborted ? `Cancelled: ${(abort.signal.reason as Error)?.message ?? 'aborted'}` : (error as Error).message;
      run.status = 'failed';
      run.error = reason;
      run.finishedAt = this.clock.now().toISOString();
      run.durationMs = Date.now() - started;
      await this.runs.save({ ...run }).catch((saveError: Error) => this.logger.error(`Cannot record job ${run.id}: ${saveError.message}`));
      this.events.emit(new BackupFailedEvent(run.id, run.target, reason));
      this.logger.error(`${label} backup failed: ${reason}`);
    }
    return run;
  }

  /**
   * Snapshots, archive and upload of one run. The scratch folder of snapshots is gone when this
   * settles, so a job that reads as finished, either way, has left nothing behind.
   */
  private async createArchive(run: BackupRunEntity, signal: AbortSignal): Promise<{ filename: string; size: number }> {
    await this.enterPhase(run, 'checking', 0);
    const storage = this.storage.get(run.target);
    // Waits while a staged restore is applied at start; the databases are never read before that.
    await this.registry.whenOpen();
    this.registry.assertIntact();
    // And for the start-up clean-up of the target, so the space check counts what it freed.
    await untilAborted(this.recovery.whenDone(run.target), signal);
    // A folder that cannot be created is reported as that, at once (not as "0 B free").
    await storage.prepare();
    const databases = this.registry.list();
    const liveBytes = liveDatabaseBytes(databases);
    await this.checkSpace(run.target, liveBytes);

    const scratch = await createWorkFolder(this.identity, this.registry.dataDir, SCRATCH_PREFIX, 'backup-scratch', { jobId: run.id });
    try {
      await this.enterPhase(run, 'snapshotting', liveBytes);
      const at = this.clock.now();
      const entries: DatabaseEntry[] = await mapConcurrently(databases, SNAPSHOTS_IN_PARALLEL, async (db) => {
        signal.throwIfAborted();
        const digest = await snapshotDatabase(db.path, path.join(scratch, db.filename)).catch((error: Error) => {
          throw new DomainError(ErrorCode.BackupFailed, `Cannot read the database ${db.filename}: ${error.message}`, { file: db.filename }, { cause: error });
        });
        this.progress(run, run.bytesDone + liveDatabaseBytes([db]));
        return { name: db.name, filename: db.filename, size_bytes: digest.bytes, checksum: `sha256:${digest.sha256}` };
      });

      const filename = await this.freeName(storage, at);
      const metadata: BackupMetadata = {
        timestamp: isoSeconds(parseBackupFilename(filename) ?? at),
        version: METADATA_FORMAT_VERSION,
        sentinel_version: APP_VERSION,
        databases: entries,
      };
      await this.enterPhase(run, 'archiving', tarSize([0, ...entries.map((e) => e.size_bytes)]));
      const archive = openArchiveStream({ dir: scratch, metadata }, (bytes) => this.progress(run, bytes));
      try {
        const stored = await storage.upload(filename, archive, { signal, maxBytes: archiveMaxBytes(metadata), owner: this.identity.id });
        return { filename, size: stored.size };
      } finally {
        archive.destroy();
      }
    } finally {
      // Asynchronous: removing a gigabyte of snapshots blocks for up to half a second, and the API must not.
      await fs.promises.rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Snapshots need as much room as the live databases in DATA_DIR; a local archive needs up to the
   * same again in its folder (less once compressed, but the estimate must hold for data that does not compress).
   */
  private async checkSpace(target: BackupTarget, liveBytes: number): Promise<void> {
    const localDir = target === 'local' ? (await this.settings.localSettings()).dir : undefined;
    for (const need of backupSpaceNeeds(target, this.registry.dataDir, liveBytes, localDir)) await this.disk.ensure(need.dir, need.bytes, need.purpose);
  }

  /** The name for a backup made at `at`; a later second when a backup of that second already exists. */
  private async freeName(storage: ObjectStorage, at: Date): Promise<string> {
    for (let offset = 0; offset < 60; offset++) {
      const name = backupFilename(new Date(at.getTime() + offset * 1000));
      if (!(await storage.head(name))) return name;
    }
    throw new DomainError(ErrorCode.Conflict, 'Cannot find a free backup name: sixty backups already carry the names of the coming minute');
  }

  private async enterPhase(run: BackupRunEntity, phase: BackupPhase, bytesTotal: number): Promise<void> {
    run.phase = phase;
    run.bytesDone = 0;
    run.bytesTotal = bytesTotal;
    await this.runs.save({ ...run });
    this.events.emit(new BackupProgressEvent(run.id, run.target, phase, 0, bytesTotal));
  }

  private progress(run: BackupRunEntity, bytesDone: number): void {
    run.bytesDone = Math.min(bytesDone, run.bytesTotal || bytesDone);
    const now = Date.now();
    if (now - (this.lastProgressAt.get(run.target) ?? 0) < PROGRESS_INTERVAL_MS) return;
    this.lastProgressAt.set(run.target, now);
    this.events.emit(new BackupProgressEvent(run.id, run.target, run.phase, run.bytesDone, run.bytesTotal));
  }
}

/** `work`, or the abort reason as soon as `signal` aborts (a shutdown does not wait for the start-up clean-up). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
