import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { formatBytes } from '../common/format.js';
import { HeapGrowth } from '../common/memory/heap-growth.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { TargetDirectory } from '../targets/target-directory.js';
import { parseBackupName, type BackupKind } from '../archive-format/backup-filename.js';
import { ArchiveProducer, type ProductionPhase } from './archive-production/archive-producer.js';
import { type BackupTrigger, BackupRunEntity, type RunKind } from './backup-run.entity.js';
import { BackupRunStore } from './backup-run.store.js';
import { BackupCancelledEvent, BackupCompletedEvent, BackupFailedEvent, BackupProgressEvent, BackupStartedEvent } from './backup.events.js';

const PROGRESS_INTERVAL_MS = 250;

interface RunningJob {
  run: BackupRunEntity;
  trigger: BackupTrigger;
  abort: AbortController;
  done: Promise<BackupRunEntity>;
  /** Set by cancel(): the abort was a request's (status `cancelled`), not the shutdown's (status `failed`). */
  cancelledByRequest?: boolean;
}

/**
 * The lifecycle of backup jobs: one running job per target (a second request gets 409), the live
 * state and progress of a running job, the stored history, the backup events, and cancellation at
 * shutdown. What a job does (checks, snapshots, archive, upload) is the ArchiveProducer's.
 */
@Injectable()
export class BackupJobs implements OnModuleDestroy {
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
    private readonly producer: ArchiveProducer,
    private readonly targets: TargetDirectory,
    private readonly heap: HeapGrowth,
  ) {}

  /**
   * Starts a backup and returns its job at once; 409 (BackupInProgress) when one is running for the target.
   * `kind`: the kind asked for (POST /api/backups/{target}'s body); undefined lets the target's policy decide.
   * An increment asked of a target whose policy is off is refused (409 INCREMENTAL_NOT_ENABLED) before any work.
   */
  async start(target: BackupTarget, trigger: BackupTrigger, kind?: BackupKind): Promise<BackupRunEntity> {
    if (kind === 'incremental' && !(await this.targets.get(target)).incremental?.enabled) {
      throw new DomainError(
        ErrorCode.IncrementalNotEnabled,
        `Turn on incremental backups for ${target} first: PATCH /api/targets/${target} with {"incremental": {"enabled": true}}`,
        { target },
      );
    }
    return (await this.launch(target, trigger, kind)).run;
  }

  /** Starts a backup and waits for it to end (the scheduler's use). Resolves with the finished job, failed or not. */
  async runToCompletion(target: BackupTarget, trigger: BackupTrigger): Promise<BackupRunEntity> {
    return (await this.launch(target, trigger)).done;
  }

  /** The running job of a target, if any. */
  runningJob(target: BackupTarget): BackupRunEntity | undefined {
    return this.running.get(target)?.run;
  }

  /** Every target's running job (at most one each), for a stop that waits on them. */
  runningJobs(): BackupRunEntity[] {
    return [...this.running.values()].map((job) => job.run);
  }

  /** A job by id: the live state while it runs, else the stored one. */
  async job(id: string): Promise<BackupRunEntity> {
    for (const job of this.running.values()) if (job.run.id === id) return job.run;
    const stored = await this.runs.find(id);
    if (!stored) throw new DomainError(ErrorCode.JobNotFound, `No backup job with id '${id}'`, { id });
    return stored;
  }

  /**
   * Stops a running (or queued) backup the way a shutdown does, through the job's AbortController: the archive
   * pipeline and the upload stop, and the producer removes what was stored (a local `.partial` file, an S3
   * multipart upload). Resolves once that clean-up is done, with the job ended as `cancelled`.
   */
  async cancel(id: string): Promise<BackupRunEntity> {
    const job = [...this.running.values()].find((candidate) => candidate.run.id === id);
    if (job) {
      job.cancelledByRequest = true;
      job.abort.abort(new Error('cancelled by a request'));
      return job.done;
    }
    const stored = await this.runs.find(id);
    if (!stored) throw new DomainError(ErrorCode.JobNotFound, `No backup job with id '${id}'`, { id });
    if (stored.kind === 'replication') {
      throw new DomainError(
        ErrorCode.JobNotCancellable,
        `Job ${id} is a replication, which cannot be cancelled: it copies archives that already exist and checks each one on arrival, so stopping it gains nothing; the next replication copies whatever is missing`,
        { id },
      );
    }
    throw new DomainError(
      ErrorCode.JobNotRunning,
      `Backup job ${id} is not running (it ${stored.status === 'succeeded' ? 'succeeded' : `ended ${stored.status}`} at ${stored.finishedAt}); there is nothing to cancel`,
      {
        id,
        status: stored.status,
      },
    );
  }

  async history(target: BackupTarget | undefined, limit: number, kind?: RunKind): Promise<BackupRunEntity[]> {
    const stored = await this.runs.history({ target, kind, limit });
    // The stored copy of a running job lags behind; show the live one.
    return stored.map((run) => [...this.running.values()].find((job) => job.run.id === run.id)?.run ?? run);
  }

  /** On shutdown (including the restart after a staged restore) running jobs are cancelled and cleaned up. */
  async onModuleDestroy(): Promise<void> {
    const jobs = [...this.running.values()];
    for (const job of jobs) job.abort.abort(new Error('the service is shutting down'));
    await Promise.allSettled(jobs.map((job) => job.done));
  }

  private async launch(target: BackupTarget, trigger: BackupTrigger, kind?: BackupKind): Promise<RunningJob> {
    // A damaged database is never archived: rotation could then delete the good backups a restore needs.
    this.registry.assertIntact();
    // Before any work: no job, no snapshot, no scratch folder for a backup that cannot be stored anywhere.
    const missing = await (await this.storage.get(target)).missingConfiguration();
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
    const run = BackupRunEntity.queued({ target, kind: 'backup', trigger, createdAt: now });
    if (kind) run.requestedKind = kind;
    const abort = new AbortController();
    const job: RunningJob = { run, trigger, abort, done: undefined as unknown as Promise<BackupRunEntity> };
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
    const { run, abort, trigger } = job;
    const label = targetLabel(run.target);
    const started = Date.now();
    run.status = 'running';
    run.startedAt = this.clock.now().toISOString();
    this.events.emit(new BackupStartedEvent(run.id, run.target, trigger));
    this.logger.log(`${label} backup started (job ${run.id}, ${run.trigger})`);
    // V8 collects this process's old generation sooner until the job has ended (HeapGrowth says why).
    const releaseHeap = this.heap.tighten();
    try {
      const { filename, size, sha256, encrypted, recipients } = await this.producer.produce(run, abort.signal, {
        enterPhase: (phase, bytesTotal) => this.enterPhase(run, phase, bytesTotal),
        bytesDone: (bytes) => this.progress(run, bytes),
        kindChosen: async ({ kind, reason, logReason }) => {
          run.backupKind = kind;
          run.kindReason = reason;
          if (kind === 'full' && reason) this.logger.log(`${label} backup (job ${run.id}) is a full backup: ${logReason ?? reason}`);
          else if (kind === 'incremental') this.logger.log(`${label} backup (job ${run.id}) is an increment of its target's chain`);
        },
        willStore: async (intent) => {
          run.filename = intent.filename;
          run.encrypted = intent.encrypted;
          run.recipients = intent.recipients;
          await this.runs.save({ ...run });
        },
      });
      run.status = 'succeeded';
      run.phase = 'done';
      run.filename = filename;
      // The name says what was stored; a production that chose no kind aloud (policy off) made a full backup.
      const backupKind = parseBackupName(filename)?.kind ?? 'full';
      run.backupKind = backupKind;
      run.sizeBytes = size;
      run.sha256 = sha256;
      run.encrypted = encrypted;
      run.recipients = recipients;
      run.bytesDone = run.bytesTotal;
      run.finishedAt = this.clock.now().toISOString();
      run.durationMs = Date.now() - started;
      await this.runs.save({ ...run });
      this.events.emit(
        new BackupCompletedEvent(
          run.id,
          run.target,
          filename,
          size,
          run.durationMs,
          { sha256, encrypted, recipients },
          backupKind,
          backupKind === 'full' ? (run.kindReason ?? null) : null,
        ),
      );
      this.logger.log(
        `${label} backup completed: ${filename} (${formatBytes(size)}${encrypted ? `, encrypted to ${recipients?.length} recipient(s)` : ''}) in ${(run.durationMs / 1000).toFixed(1)} s`,
      );
    } catch (error) {
      const cancelled = abort.signal.aborted;
      const reason = cancelled ? `Cancelled: ${(abort.signal.reason as Error)?.message ?? 'aborted'}` : (error as Error).message;
      run.status = job.cancelledByRequest ? 'cancelled' : 'failed';
      // The intended archive was not kept (the producer removes what it stored): a failed job names none.
      run.filename = null;
      run.encrypted = null;
      run.recipients = null;
      run.error = reason;
      run.errorCode = failureCode(error, cancelled);
      run.finishedAt = this.clock.now().toISOString();
      run.durationMs = Date.now() - started;
      await this.runs.save({ ...run }).catch((saveError: Error) => this.logger.error(`Cannot record job ${run.id}: ${saveError.message}`));
      if (job.cancelledByRequest) {
        // Someone asked for it: not a failure to notify about, and nothing of it was left behind.
        this.logger.log(`${label} backup cancelled (job ${run.id}); nothing of it was kept`);
        this.events.emit(new BackupCancelledEvent(run.id, run.target, run.durationMs));
        return run;
      }
      // Logged first: a notifier quotes the job's log lines, this one included.
      this.logger.error(`${label} backup failed: ${reason}`);
      this.events.emit(new BackupFailedEvent(run.id, run.target, reason, run.errorCode));
    } finally {
      releaseHeap();
    }
    return run;
  }

  private async enterPhase(run: BackupRunEntity, phase: ProductionPhase, bytesTotal: number): Promise<void> {
    run.phase = phase;
    run.phaseStartedAt = this.clock.now().toISOString();
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

/**
 * The code a failed job keeps: the DomainError's own (STORAGE_ACCESS_DENIED, INSUFFICIENT_DISK_SPACE, …),
 * BACKUP_CANCELLED when the service (or a request) stopped it, BACKUP_FAILED for anything unforeseen (the message says what).
 */
function failureCode(error: unknown, cancelled: boolean): ErrorCode {
  if (cancelled) return ErrorCode.BackupCancelled;
  return error instanceof DomainError ? error.code : ErrorCode.BackupFailed;
}
