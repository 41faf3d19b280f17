import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BACKUP_TARGETS, type BackupTarget, targetLabel } from '../common/backup-target.js';
import { LeftoverSweeper } from '../common/fs/leftover-sweeper.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import type { LeftoverReport } from '../storage/object-storage.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';
import { ArchiveProvenance } from '../encryption/archive-provenance.store.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { TargetRoster } from '../targets/target-roster.js';
import { BackupRunStore } from './backup-run.store.js';
import { BackupFailedEvent } from './backup.events.js';

/**
 * The start-up clean-up of the backup targets, once per boot: a folder target's `.partial` files and an S3
 * target's unfinished multipart uploads that this installation's interrupted uploads left, for local, r2 and
 * every added target (DATA_DIR's work
 * folders were swept already, by LeftoverSweeper in the restore's start-up step). Then the jobs the
 * crash interrupted are told what was cleaned up, and each is announced as a failed backup (BackupFailedEvent,
 * BACKUP_INTERRUPTED).
 *
 * It needs the settings (config.db), so it waits for the databases to open; a start-up hook must not
 * await that (see DatabaseRegistry), so the hook only starts it. Every backup waits for it before its
 * space check (`whenDone`): no job runs before it, and the space check counts what it freed.
 */
@Injectable()
export class StartupRecovery implements OnApplicationBootstrap {
  private readonly logger = new Logger('Sweep');
  private readonly started: Promise<boolean>;
  private readonly cleaned = new Map<BackupTarget, Promise<LeftoverReport>>();
  /** The added targets, listed once the databases are open (none when config.db cannot be read: logged). */
  private readonly addedListed: Promise<BackupTarget[]>;
  private readonly done: Promise<void>;
  private begin!: () => void;

  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly storage: StorageTargets,
    private readonly runs: BackupRunStore,
    private readonly sweeper: LeftoverSweeper,
    private readonly provenance: ArchiveProvenance,
    private readonly identity: InstallationIdentity,
    private readonly events: DomainEventBus,
    private readonly targets: TargetRoster,
  ) {
    // Nothing runs before the bootstrap hook, then nothing before the databases are open.
    this.started = new Promise<void>((resolve) => (this.begin = resolve)).then(() =>
      this.registry.whenOpen().then(
        () => true,
        () => false, // the databases did not open: the start fails, or the service is shutting down (a damaged one still counts as opened)
      ),
    );
    const clean = (target: BackupTarget) =>
      this.started.then((open) =>
        open
          ? this.storage
              .get(target)
              .then((storage) => storage.removeLeftovers())
              .catch((error: Error): LeftoverReport => ({ removed: [], failed: [`the clean-up failed: ${error.message}`] }))
              .then((report) => this.settleUnrecorded(target, report))
          : { removed: [], failed: [] },
      );
    // Each target on its own: an unreachable R2 endpoint does not hold up local backups. The built-ins start
    // at once; the added ones as soon as config.db says which there are (a damaged list leaves the built-ins be).
    for (const target of BACKUP_TARGETS) this.cleaned.set(target, clean(target));
    this.addedListed = this.started.then(async (open) => {
      const added = open ? (await this.targets.added()).map((entry) => entry.id) : [];
      for (const target of added) this.cleaned.set(target, clean(target));
      return added;
    });
    this.done = this.describeInterruptedJobs();
  }

  onApplicationBootstrap(): void {
    this.begin();
  }

  /** Resolves once the start-up clean-up of `target` has run (it never rejects). */
  async whenDone(target: BackupTarget): Promise<void> {
    // A target added after the start has nothing of an earlier run to clean.
    if (!this.cleaned.has(target)) await this.addedListed;
    await this.cleaned.get(target);
  }

  /** Resolves once every clean-up ran and the interrupted jobs say what it did. */
  whenAllDone(): Promise<void> {
    return this.done;
  }

  /**
   * The archive an interrupted job of `target` was about to store (its run names it before the upload):
   * when it is there, this installation's, and without a provenance record, the kill came between the
   * finished upload and the record. It is deleted as the job's own leftover rather than completed: the
   * record is the proof of what was made here, and a hash taken now would vouch for whatever the object
   * holds now. One recorded already (a kill just before the job was marked done) is kept.
   */
  private async settleUnrecorded(target: BackupTarget, report: LeftoverReport): Promise<LeftoverReport> {
    try {
      const storage = await this.storage.get(target);
      for (const run of await this.runs.interruptedAtStart()) {
        // A replication's copy is the replication module's to settle (ReplicationRecovery).
        if (run.kind === 'replication' || run.target !== target || !run.filename) continue;
        const stored = await storage.head(run.filename);
        if (!stored) continue;
        if (await this.provenance.find(target, run.filename)) {
          this.kept.set(run.id, run.filename);
          continue;
        }
        if (stored.owner !== this.identity.id) continue;
        await storage.delete(run.filename);
        this.unrecorded.set(run.id, run.filename);
        this.logger.warn(`Deleted ${run.filename} (${target}): an archive of interrupted job ${run.id}, stored but not yet recorded as made here`);
      }
    } catch (error) {
      report.failed.push(`could not check the archive the interrupted job was storing: ${(error as Error).message}`);
    }
    return report;
  }

  /** Per interrupted job: the archive it stored but had not recorded, deleted at this start. */
  private readonly unrecorded = new Map<string, string>();
  /** Per interrupted job: the archive it stored and recorded before the stop, kept. */
  private readonly kept = new Map<string, string>();

  private async describeInterruptedJobs(): Promise<void> {
    if (!(await this.started)) return;
    await this.addedListed;
    const reports = new Map<BackupTarget, LeftoverReport>();
    for (const [target, cleaned] of this.cleaned) reports.set(target, await cleaned);
    try {
      for (const run of await this.runs.interruptedAtStart()) {
        if (run.kind === 'replication') continue;
        const scratch = this.sweeper.lastReport.removed.filter((f) => f.jobId === run.id).map((f) => `its scratch folder ${f.name} in DATA_DIR`);
        // A target deleted since the run was not cleaned: nothing was removed, and the message says no more.
        const report = reports.get(run.target) ?? { removed: [], failed: [] };
        const unrecorded = this.unrecorded.get(run.id);
        const removed = [...scratch, ...report.removed, ...(unrecorded ? [`its archive ${unrecorded}, stored but not yet recorded as made here`] : [])];
        const kept = this.kept.get(run.id);
        const parts = [
          `Interrupted: the service stopped while this ${run.target === 'local' ? 'local' : targetLabel(run.target)} backup was running.`,
          removed.length > 0
            ? `At the next start it removed what the backup had left: ${removed.join('; ')}.`
            : 'At the next start it found nothing the backup had left behind.',
          report.failed.length > 0 ? `Not cleaned up: ${report.failed.join('; ')}.` : '',
          kept ? `Its archive ${kept} was stored and recorded before the stop: it is kept.` : '',
          'Run the backup again',
        ];
        const message = parts.filter(Boolean).join(' ');
        await this.runs.describeInterruption(run.id, message);
        // A backup a kill -9 (or a power cut) ended is a failure like any other: told once, at this start,
        // so a notifier hears of it (its job could not emit anything).
        this.events.emit(new BackupFailedEvent(run.id, run.target, message, ErrorCode.BackupInterrupted));
      }
    } catch (error) {
      this.logger.error(`Could not record what the start-up clean-up did for the interrupted jobs: ${(error as Error).message}`);
    }
  }
}
