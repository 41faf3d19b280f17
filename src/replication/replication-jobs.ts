import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { BackupRunEntity } from '../backup/backup-run.entity.js';
import { BackupRunStore } from '../backup/backup-run.store.js';
import { type BackupTarget, isBackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { formatBytes } from '../common/format.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { ArchiveProvenance } from '../encryption/archive-provenance.store.js';
import { StorageTargets } from '../storage/storage-targets.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { TargetDirectory } from '../targets/target-directory.js';
import { ArchiveCopier } from './archive-copier.js';
import { ReplicaNameTaken } from './replica-name-taken.error.js';
import { ReplicationCompletedEvent, ReplicationFailedEvent } from './replication.events.js';
import { type ReplicationPlan, ReplicationPlanner } from './replication-planner.js';

/** How often a running replication's byte count is written to the job history (the live count is in memory). */
const PROGRESS_SAVE_MS = 1000;

interface RunningReplication {
  run: BackupRunEntity;
  abort: AbortController;
  done: Promise<BackupRunEntity>;
  /** A backup to the source completed while this ran: run once more after it, for what it missed. */
  again: boolean;
}

/**
 * Replication jobs: one at a time per replica, each copying every archive of the source the replica is
 * missing, oldest first (so a replica that was unreachable catches up with all it missed at its next run),
 * recorded in the job history as `kind: replication` beside the backups, and told by its own events. A
 * replication never touches the source's backup job: it starts after that job has succeeded, and its
 * failure is its own.
 */
@Injectable()
export class ReplicationJobs implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Replication');
  private readonly running = new Map<BackupTarget, RunningReplication>();
  private readonly recovered: Promise<void>;
  private begin!: () => void;
  private stopping = false;

  constructor(
    private readonly directory: TargetDirectory,
    private readonly planner: ReplicationPlanner,
    private readonly copier: ArchiveCopier,
    private readonly storage: StorageTargets,
    private readonly runs: BackupRunStore,
    private readonly events: DomainEventBus,
    private readonly clock: Clock,
    private readonly registry: DatabaseRegistry,
    private readonly provenance: ArchiveProvenance,
    private readonly identity: InstallationIdentity,
  ) {
    this.recovered = new Promise<void>((resolve) => (this.begin = resolve)).then(() =>
      this.registry.whenOpen().then(
        () => this.settleInterrupted(),
        () => undefined,
      ),
    );
  }

  /**
   * A replica's place, or its source's, cannot change, and neither can be deleted, while a replication copies
   * between them (409 TARGET_BUSY, as for a backup): the copy would go on writing into a folder or bucket the
   * user moved away from, or leave half an archive where no target lists it.
   */
  onModuleInit(): void {
    this.directory.guardPlaceWith((target) => this.assertNotCopying(target.id));
  }

  private assertNotCopying(id: string): void {
    for (const [replica, job] of this.running) {
      if (replica !== id && job.run.source !== id) continue;
      const what = replica === id ? `receiving a replication from '${job.run.source}'` : `the source of a replication to '${replica}'`;
      throw new DomainError(
        ErrorCode.TargetBusy,
        `Target '${id}' is ${what} now (job ${job.run.id}): its place cannot change and it cannot be deleted until that job ends. ` +
          `Wait for job ${job.run.id} to finish (GET /api/backup-jobs/${job.run.id}), then send the change again`,
        { target: id, job_id: job.run.id },
      );
    }
  }

  onApplicationBootstrap(): void {
    this.begin();
  }

  /** The replica `id` (a target that replicates from another), or 404 / 400 saying why it is none. */
  async replica(id: string): Promise<TargetDefinition & { id: BackupTarget; replicateFrom: BackupTarget }> {
    const target = await this.directory.get(id);
    if (!isBackupTarget(target.id)) throw new DomainError(ErrorCode.NotFound, `Unknown backup target '${id}'`, { target: id });
    if (target.replicateFrom === null) {
      throw new DomainError(
        ErrorCode.InvalidInput,
        `'${id}' replicates from no target, so there is nothing to sync: set its replicate_from (the setting ${id}_replicate_from) to the target it should copy`,
        { target: id, field: 'replicate_from' },
      );
    }
    if (!isBackupTarget(target.replicateFrom)) {
      throw new DomainError(ErrorCode.InvalidInput, `'${id}' replicates from '${target.replicateFrom}', which is no target: change its replicate_from`, {
        target: id,
        field: 'replicate_from',
      });
    }
    return target as TargetDefinition & { id: BackupTarget; replicateFrom: BackupTarget };
  }

  /** What a sync of `id` would copy now (the dry run): changes nothing. */
  async plan(id: string): Promise<ReplicationPlan> {
    const replica = await this.replica(id);
    await this.recovered;
    return this.planner.plan(replica.replicateFrom, replica);
  }

  /** POST /api/targets/{id}/sync: starts a replication now and returns its job; 409 while one runs. */
  async sync(id: string): Promise<BackupRunEntity> {
    const replica = await this.replica(id);
    const missing = await (await this.storage.get(replica.id)).missingConfiguration();
    if (missing) throw new DomainError(ErrorCode.TargetNotConfigured, `Cannot replicate to ${targetLabel(replica.id)}: ${missing}`, { target: id });
    const current = this.running.get(replica.id);
    if (current) {
      throw new DomainError(
        ErrorCode.ReplicationInProgress,
        `A replication to '${id}' is already running (job ${current.run.id}): it copies everything missing. Its state is at GET /api/backup-jobs/${current.run.id}`,
        { job_id: current.run.id },
      );
    }
    return this.launch(replica.id, replica.replicateFrom, 'manual').run;
  }

  /**
   * After a successful backup to `source`: a replication to each of its replicas. Never throws: a replica that
   * cannot even start (not configured) is a failed replication job of its own.
   */
  async afterBackup(source: BackupTarget): Promise<void> {
    if (this.stopping) return;
    for (const replica of await this.directory.list()) {
      if (replica.replicateFrom !== source || !isBackupTarget(replica.id)) continue;
      const current = this.running.get(replica.id);
      if (current) {
        current.again = true;
        continue;
      }
      this.launch(replica.id, source, 'after_backup');
    }
  }

  /** Every replication running now ends (cancelled) before the service stops. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    const jobs = [...this.running.values()];
    for (const job of jobs) job.abort.abort(new Error('the service is shutting down'));
    await Promise.allSettled(jobs.map((job) => job.done));
  }

  /** Resolves when no replication runs (tests, and a shutdown that waits). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()].map((job) => job.done));
  }

  /**
   * The replication a backup asked for while one ran: from the source the replica names now (its
   * replicate_from may have changed, or been cleared, while the other ran: then none).
   */
  private async followUp(target: BackupTarget): Promise<void> {
    try {
      const replica = await this.directory.get(target);
      if (this.stopping || this.running.has(target) || replica.replicateFrom === null || !isBackupTarget(replica.replicateFrom)) return;
      this.launch(target, replica.replicateFrom, 'after_backup');
    } catch (error) {
      // Deleted meanwhile (404), or config.db unreadable: the next backup or sync starts it again.
      this.logger.warn(`No follow-up replication to ${target}: ${(error as Error).message}`);
    }
  }

  private launch(target: BackupTarget, source: BackupTarget, trigger: 'manual' | 'after_backup'): RunningReplication {
    const now = this.clock.now().toISOString();
    const run = BackupRunEntity.queued({ target, kind: 'replication', source, trigger, createdAt: now });
    const job: RunningReplication = { run, abort: new AbortController(), again: false, done: undefined as unknown as Promise<BackupRunEntity> };
    this.running.set(target, job);
    job.done = this.runs
      .save({ ...run })
      .then(() => this.execute(job))
      .catch((error: Error) => {
        this.logger.error(`Replication job ${run.id} to ${target} could not be recorded: ${error.message}`);
        return run;
      })
      .finally(() => {
        this.running.delete(target);
        if (job.again && !this.stopping) void this.followUp(target);
      });
    return job;
  }

  private async execute(job: RunningReplication): Promise<BackupRunEntity> {
    const { run, abort } = job;
    const target = run.target;
    let source = run.source as BackupTarget;
    const started = Date.now();
    run.status = 'running';
    run.phase = 'copying';
    run.startedAt = this.clock.now().toISOString();
    let plan: ReplicationPlan | undefined;
    const copied: string[] = [];
    let bytesCopied = 0;
    /** Archives not copied, and not to be copied by a later run either: there already (byte-identical), or refused (other bytes). */
    const settled = new Set<string>();
    const refused: string[] = [];
    /** Of `settled`, the archives the replica holds (byte-identical already): an increment after them may follow. */
    const present = new Set<string>();
    try {
      await this.recovered;
      // The source is the one the replica names now: it may have changed since the job was queued.
      const replica = await this.replica(target);
      source = replica.replicateFrom;
      run.source = source;
      this.logger.log(`Replication to ${targetLabel(target)} from ${targetLabel(source)} started (job ${run.id}, ${run.trigger})`);
      const missing = await (await this.storage.get(target)).missingConfiguration();
      if (missing) throw new DomainError(ErrorCode.TargetNotConfigured, `Cannot replicate to ${targetLabel(target)}: ${missing}`, { target });
      plan = await this.planner.plan(source, replica);
      for (const skip of plan.unchained) this.logger.warn(`Not replicated to ${targetLabel(target)}: ${skip.filename}: ${skip.reason}`);
      run.bytesTotal = plan.copies.reduce((sum, copy) => sum + copy.sizeBytes, 0);
      // The copying's rate (and time left) counts from here, not from the planning's listings.
      run.phaseStartedAt = this.clock.now().toISOString();
      await this.runs.save({ ...run });
      let lastSaved = Date.now();
      for (const copy of plan.copies) {
        abort.signal.throwIfAborted();
        // An increment one of whose points (its parent, back to its full backup) this run failed to copy, or found
        // under its name with other bytes, would be restored through what is not that point: not copied.
        const gap = copy.links.find((name) => settled.has(name) && !present.has(name));
        if (gap) {
          const message = `${copy.filename} was not copied to ${targetLabel(target)}: it is an increment after ${gap}, which was not copied, and alone it could not be restored`;
          refused.push(message);
          settled.add(copy.filename);
          this.logger.error(message);
          continue;
        }
        const before = bytesCopied;
        let result;
        try {
          result = await this.copier.copy(
            copy.filename,
            { id: source, storage: await this.storage.get(source) },
            { id: target, storage: await this.storage.get(target) },
            {
              signal: abort.signal,
              // Named before the upload (never before an archive of that name the replica held already, which
              // is not to be touched): a start after a kill -9 finds the copy it cut short by this name (settleInterrupted).
              onUpload: async () => {
                run.filename = copy.filename;
                await this.runs.save({ ...run });
              },
              onProgress: (bytes) => {
                run.bytesDone = before + bytes;
                if (Date.now() - lastSaved < PROGRESS_SAVE_MS) return;
                lastSaved = Date.now();
                void this.runs.save({ ...run }).catch(() => undefined);
              },
            },
          );
        } catch (error) {
          // That one backup is not copied; the others still are, and the job fails at the end naming it.
          if (!(error instanceof ReplicaNameTaken)) throw error;
          refused.push(error.message);
          settled.add(copy.filename);
          this.logger.error(error.message);
          continue;
        }
        if (result.present) {
          settled.add(copy.filename);
          present.add(copy.filename);
          run.bytesTotal -= copy.sizeBytes;
          this.logger.log(`${result.filename} was in ${targetLabel(target)} already, byte-identical to ${targetLabel(source)}'s: counted as its copy`);
          continue;
        }
        bytesCopied += result.sizeBytes;
        copied.push(result.filename);
        run.copied = [...copied];
        run.bytesDone = bytesCopied;
        run.sha256 = result.sha256;
        run.sizeBytes = result.sizeBytes;
        this.logger.log(
          `Replicated ${result.filename} (${formatBytes(result.sizeBytes)}) from ${targetLabel(source)} to ${targetLabel(target)}: size and SHA-256 checked`,
        );
      }
      if (refused.length > 0) throw new DomainError(ErrorCode.ReplicationFailed, refused.join('. '));
      run.status = 'succeeded';
      run.phase = 'done';
      run.filename = copied.at(-1) ?? null;
      run.finishedAt = this.clock.now().toISOString();
      run.durationMs = Date.now() - started;
      await this.runs.save({ ...run });
      this.logger.log(
        copied.length === 0
          ? `Replication to ${targetLabel(target)} from ${targetLabel(source)}: nothing was missing`
          : `Replication to ${targetLabel(target)} from ${targetLabel(source)} completed: ${copied.length} archive(s), ${formatBytes(bytesCopied)}`,
      );
      this.events.emit(new ReplicationCompletedEvent(run.id, source, target, copied, bytesCopied, run.durationMs));
    } catch (error) {
      const cancelled = abort.signal.aborted;
      const reason = cancelled ? `Cancelled: ${(abort.signal.reason as Error)?.message ?? 'aborted'}` : (error as Error).message;
      const remaining = (plan?.copies ?? []).map((c) => c.filename).filter((name) => !copied.includes(name) && !settled.has(name));
      run.status = 'failed';
      run.filename = null;
      run.copied = [...copied];
      run.error =
        `Replication to ${targetLabel(target)} from ${targetLabel(source)} failed: ${reason}` +
        (copied.length > 0 ? `. Copied before the failure: ${copied.join(', ')}` : '') +
        (remaining.length > 0
          ? `. Still missing on ${targetLabel(target)} (the next replication or POST /api/targets/${target}/sync copies them): ${remaining.join(', ')}`
          : '');
      run.errorCode = cancelled ? ErrorCode.BackupCancelled : error instanceof DomainError ? error.code : ErrorCode.ReplicationFailed;
      run.finishedAt = this.clock.now().toISOString();
      run.durationMs = Date.now() - started;
      await this.runs.save({ ...run }).catch((saveError: Error) => this.logger.error(`Cannot record job ${run.id}: ${saveError.message}`));
      this.logger.error(`${run.error} (job ${run.id})`);
      this.events.emit(new ReplicationFailedEvent(run.id, source, target, run.error, run.errorCode, copied, remaining));
    }
    return run;
  }

  /**
   * The replications a kill -9 (or a power cut) interrupted: the archive one was copying (its run names it)
   * is deleted from the replica when it is there, this installation's, and not recorded as a proven copy
   * (the upload had finished, the check had not). An unfinished upload left nothing visible (a folder's
   * `.partial` file, an S3 multipart upload: both removed by the start-up clean-up of the backup module).
   * Each is then a failed replication of its own; the next replication copies what is missing.
   */
  private async settleInterrupted(): Promise<void> {
    let interrupted: BackupRunEntity[];
    try {
      interrupted = (await this.runs.interruptedAtStart()).filter((run) => run.kind === 'replication');
    } catch (error) {
      this.logger.error(`Cannot read the interrupted replications: ${(error as Error).message}`);
      return;
    }
    for (const run of interrupted) {
      const target = run.target;
      let removed = '';
      try {
        if (run.filename && !(await this.provenance.find(target, run.filename))) {
          const storage = await this.storage.get(target);
          const stored = await storage.head(run.filename);
          if (stored && stored.owner === this.identity.id) {
            await storage.delete(run.filename);
            removed = ` It removed the unchecked copy of ${run.filename} from ${targetLabel(target)}.`;
            this.logger.warn(`Deleted ${run.filename} (${target}): a copy of interrupted replication ${run.id}, stored but not yet checked`);
          }
        }
      } catch (error) {
        removed = ` Could not check the copy of ${run.filename} it was making: ${(error as Error).message}.`;
      }
      const message =
        `Interrupted: the service stopped while this replication to ${targetLabel(target)} was copying.${removed}` +
        ` The next replication (after the next backup to ${run.source}, or POST /api/targets/${target}/sync) copies what is missing`;
      await this.runs.describeInterruption(run.id, message).catch(() => undefined);
      this.events.emit(new ReplicationFailedEvent(run.id, run.source ?? '', target, message, ErrorCode.BackupInterrupted, run.copied ?? [], []));
    }
  }
}
