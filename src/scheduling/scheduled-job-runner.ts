import { Injectable, Logger } from '@nestjs/common';
import { BackupCatalogService } from '../backup/backup-catalog.service.js';
import { BackupRunStore } from '../backup/backup-run.store.js';
import { BackupJobs } from '../backup/backup-jobs.js';
import { RotationService } from '../backup/rotation.service.js';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { BackupVerifier, type VerificationReport } from '../restore/backup-verifier.service.js';
import { VerificationFailedEvent } from '../restore/restore.events.js';
import { previousRun } from '../common/schedules/backup-schedule.js';
import { type RosterEntry, TargetRoster } from '../targets/target-roster.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { formatLocal } from './schedule-slots.js';
import { backupRecurrence, jobName, type ScheduledJob, type ScheduledJobName, type ScheduledTask } from './scheduled-jobs.js';
import { SchedulingOptions } from './scheduling-options.js';
import { ScheduledRunFailedEvent, type ScheduledRunSkipReason, ScheduledRunSkippedEvent } from './scheduling.events.js';
import { VerificationStore } from './verification.store.js';

/** What a scheduled job did: shown by GET /api/schedules as its last run. */
export type JobOutcome = 'succeeded' | 'failed' | 'skipped' | 'disabled';

export interface JobResult {
  outcome: JobOutcome;
  /** One line for a person. */
  message: string;
}

/** A job's latest run in this process (timer or catch-up). */
export interface LastRun {
  startedAt: Date;
  finishedAt: Date | null;
  outcome: JobOutcome | 'running';
  message: string | null;
}

const MINUTE_MS = 60_000;

/**
 * What the scheduled jobs do, without any timer: ScheduleTimers calls `run` when a job's slot comes
 * (and `catchUp` once after a start), and tests call these methods directly with a fake clock. A
 * disabled target's jobs do nothing (and say so only at debug level). Log lines start with the spec's
 * phrases ("R2 backup ...", "R2 backup rotation ...").
 *
 * A run that does not get as far as a backup job, a rotation or a verification emits
 * ScheduledRunSkippedEvent (not configured, already running, a backup just made, nothing to verify)
 * or ScheduledRunFailedEvent (storage unreachable, no disk space, damaged database): no job records
 * it, so the event is the only trace a notifier gets. What happens inside a job is told by the
 * backup and restore modules' own events.
 */
@Injectable()
export class ScheduledJobRunner {
  private readonly logger = new Logger('Scheduler');
  private readonly lastRuns = new Map<ScheduledJobName, LastRun>();

  constructor(
    private readonly targets: TargetRoster,
    private readonly backups: BackupJobs,
    private readonly runs: BackupRunStore,
    private readonly rotation: RotationService,
    private readonly catalog: BackupCatalogService,
    private readonly verifier: BackupVerifier,
    private readonly verifications: VerificationStore,
    private readonly options: SchedulingOptions,
    private readonly clock: Clock,
    private readonly storage: StorageTargets,
    private readonly events: DomainEventBus,
  ) {}

  /** Runs a job's task: what a timer calls when the job's time has come. */
  run(job: Pick<ScheduledJob, 'target' | 'task'>): Promise<JobResult> {
    switch (job.task) {
      case 'backup':
        return this.runScheduled(job.target);
      case 'rotation':
        return this.rotate(job.target);
      case 'verification':
        return this.verifyNewest(job.target);
    }
  }

  /** The job's latest run since the service started, if any. */
  lastRun(name: ScheduledJobName): LastRun | undefined {
    return this.lastRuns.get(name);
  }

  /**
   * A scheduled backup of `target`, unless the target is disabled, a backup of it is running, or one
   * succeeded within the duplicate window. Resolves when the backup has ended.
   */
  runScheduled(target: BackupTarget): Promise<JobResult> {
    return this.tracked(target, 'backup', () => this.backUp(target));
  }

  private async backUp(target: BackupTarget): Promise<JobResult> {
    const label = `${targetLabel(target)} backup`;
    const entry = await this.targets.entry(target);
    if (!entry?.enabled) return this.disabled(target, label, entry);

    const running = this.backups.runningJob(target);
    if (running) {
      return this.skipped(
        target,
        'backup',
        'already_running',
        `${label} skipped: a backup is already running (job ${running.id}, ${running.trigger}, started ${running.startedAt ?? running.createdAt})`,
      );
    }
    const windowMinutes = this.duplicateWindowMinutes(entry);
    if (windowMinutes > 0) {
      const last = await this.runs.lastSuccess(target, undefined, entry.since);
      const finishedAt = last?.finishedAt ? new Date(last.finishedAt) : undefined;
      const ago = finishedAt ? this.clock.now().getTime() - finishedAt.getTime() : Infinity;
      if (ago < windowMinutes * MINUTE_MS) {
        return this.skipped(
          target,
          'backup',
          'recent_backup',
          `${label} skipped: a backup finished ${describeAgo(ago)} (duplicate window ${formatMinutes(windowMinutes)} min): ${last!.filename}, ${last!.trigger}`,
        );
      }
    }

    try {
      const run = await this.backups.runToCompletion(target, 'scheduled');
      // BackupJobs has logged "... backup completed: <file>" or "... backup failed: <reason>".
      return run.status === 'succeeded'
        ? { outcome: 'succeeded', message: `${label} completed: ${run.filename}` }
        : { outcome: 'failed', message: `${label} failed: ${run.error}` };
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.BackupInProgress) {
        return this.skipped(target, 'backup', 'already_running', `${label} skipped: a backup is already running (${error.message})`);
      }
      // Refused before any job existed (not configured, damaged database): the job's own events never fire.
      // A target without settings stays a failed run for GET /api/schedules, as before; the event tells a
      // notifier it is a setup gap (skipped, not_configured) rather than a fault.
      const message = `${label} could not start: ${(error as Error).message}`;
      this.logger.error(message);
      if (error instanceof DomainError && error.code === ErrorCode.TargetNotConfigured) this.emitSkipped(target, 'backup', 'not_configured', message);
      else this.emitFailed(target, 'backup', error, message);
      return { outcome: 'failed', message };
    }
  }

  /**
   * After a start: for each enabled target whose last successful scheduled backup is older than the
   * latest slot of its schedule (the service was down then), one scheduled backup now. Targets in turn.
   */
  async catchUp(): Promise<Array<{ target: BackupTarget } & JobResult>> {
    const results: Array<{ target: BackupTarget } & JobResult> = [];
    for (const { id: target, enabled, schedule, since } of await this.targets.entries()) {
      const label = `${targetLabel(target)} backup`;
      if (!enabled) continue;
      const timeZone = this.options.timeZone;
      const due = previousRun(backupRecurrence(target, schedule), this.clock.now(), timeZone);
      const last = await this.runs.lastSuccess(target, 'scheduled', since);
      const lastAt = last?.finishedAt ? new Date(last.finishedAt) : undefined;
      if (lastAt && lastAt.getTime() >= due.getTime()) {
        this.logger.debug(`${label} catch-up: not needed (the backup due ${formatLocal(due, timeZone)} ran, finished ${lastAt.toISOString()})`);
        continue;
      }
      this.logger.log(
        `${label} catch-up: the scheduled backup due ${formatLocal(due, timeZone)} did not run ` +
          `(${lastAt ? `last scheduled backup finished ${formatLocal(lastAt, timeZone)}` : 'no scheduled backup yet'}); running one now`,
      );
      results.push({ target, ...(await this.runScheduled(target)) });
    }
    return results;
  }

  /** Deletes the target's backups older than its retention (RotationService logs "... backup rotation: ..."). */
  rotate(target: BackupTarget): Promise<JobResult> {
    return this.tracked(target, 'rotation', () => this.rotateNow(target));
  }

  private async rotateNow(target: BackupTarget): Promise<JobResult> {
    const label = `${targetLabel(target)} backup rotation`;
    const entry = await this.targets.entry(target);
    if (!entry?.enabled) return this.disabled(target, label, entry);
    try {
      const result = await this.rotation.rotate(target, 'scheduled');
      const message =
        `${label}: deleted ${result.deleted.length}, kept ${result.kept}` + (result.failed.length ? `, ${result.failed.length} could not be deleted` : '');
      return { outcome: result.failed.length ? 'failed' : 'succeeded', message };
    } catch (error) {
      const message = `${label} failed: ${(error as Error).message}`;
      this.logger.error(message);
      await this.emitNotRun(target, 'rotation', error, message);
      return { outcome: 'failed', message };
    }
  }

  /**
   * Verifies the target's newest backup as a restore would (checksums, SQLite integrity) and keeps
   * the report (GET /api/verifications). BackupVerifier logs "... backup verification of <file>: ok|FAILED".
   */
  verifyNewest(target: BackupTarget): Promise<JobResult> {
    return this.tracked(target, 'verification', () => this.verifyNow(target));
  }

  private async verifyNow(target: BackupTarget): Promise<JobResult> {
    const label = `${targetLabel(target)} backup verification`;
    const entry = await this.targets.entry(target);
    if (!entry?.enabled) return this.disabled(target, label, entry);
    let filename: string | undefined;
    const started = Date.now();
    try {
      // This installation's newest: in a shared bucket another installation verifies its own.
      filename = (await this.catalog.list(target)).find((backup) => backup.own)?.filename;
      if (!filename) return this.skipped(target, 'verification', 'no_backup_to_verify', `${label}: there is no backup to verify yet`);
      this.logger.log(`${label}: checking the newest backup, ${filename}`);
      const report = await this.verifier.verify(target, filename, undefined, undefined, 'scheduled');
      await this.verifications.save(report);
      if (!report.ok) this.logger.error(`${label} FAILED: the newest backup ${filename} could not be restored: ${report.message}`);
      return { outcome: report.ok ? 'succeeded' : 'failed', message: `${label} of ${filename}: ${report.ok ? 'ok' : 'FAILED'}: ${report.message}` };
    } catch (error) {
      // One verification per target at a time, the scheduled one included: a verification requested through the API is running.
      if (error instanceof DomainError && error.code === ErrorCode.VerificationInProgress) {
        return this.skipped(target, 'verification', 'already_running', `${label} skipped: ${error.message}`);
      }
      const reason = (error as Error).message;
      const message = filename ? `${label} of ${filename} could not run: ${reason}` : `${label} could not list the backups: ${reason}`;
      this.logger.error(message);
      const failed = await this.emitNotRun(target, 'verification', error, message);
      if (filename) await this.verifications.save(this.unverified(target, filename, message, Date.now() - started));
      // BackupVerifier records a verification that got as far as a backup; one that failed listing them never reached it.
      else if (failed) {
        const code = error instanceof DomainError ? error.code : ErrorCode.Internal;
        this.events.emit(new VerificationFailedEvent(target, null, 'scheduled', code, `the backups could not be listed: ${reason}`, Date.now() - started));
      }
      return { outcome: 'failed', message };
    }
  }

  /**
   * Every target with what its schedule depends on: the built-ins from the settings (no secret decrypted, so a
   * bad master key cannot stop the local schedule), then the added targets (none, logged, while config.db
   * cannot be read). Throws only when the built-ins' settings cannot be read, or with `strict` when the added
   * targets cannot be (the timers keep what they have rather than take the failure for every target deleted).
   */
  scheduledTargets(options: { strict?: boolean } = {}): Promise<RosterEntry[]> {
    return this.targets.entries(options);
  }

  /**
   * The duplicate window for a target's scheduled backup: SENTINEL_DUPLICATE_WINDOW_MINUTES; on an hourly or
   * cron schedule never more than half the time since the schedule's previous run, so such a schedule is not
   * skipped by its own previous backup. The spec's daily / weekly / monthly schedules keep the window as it is.
   */
  private duplicateWindowMinutes(target: RosterEntry): number {
    const configured = this.options.duplicateWindowMinutes;
    if (configured === 0) return 0;
    const recurrence = backupRecurrence(target.id, target.schedule);
    if (recurrence.kind === 'slots') return configured;
    const now = this.clock.now();
    // The run this one belongs to, and the one before it: the schedule's interval ending now.
    const current = previousRun(recurrence, now, this.options.timeZone);
    const before = previousRun(recurrence, new Date(current.getTime() - 1), this.options.timeZone);
    const half = (current.getTime() - before.getTime()) / 2 / MINUTE_MS;
    return Math.min(configured, half);
  }

  async isEnabled(target: BackupTarget): Promise<boolean> {
    return (await this.targets.entry(target))?.enabled === true;
  }

  /**
   * Records the run as the job's last run; a rotation or verification still running from the last
   * slot is not started twice (a backup's own check is BackupJobs' running job).
   */
  private async tracked(target: BackupTarget, task: ScheduledTask, work: () => Promise<JobResult>): Promise<JobResult> {
    const name = jobName(target, task);
    if (task !== 'backup' && this.lastRuns.get(name)?.outcome === 'running') {
      return this.skipped(target, task, 'already_running', `${targetLabel(target)} backup ${task} skipped: the previous one is still running`);
    }
    const entry: LastRun = { startedAt: this.clock.now(), finishedAt: null, outcome: 'running', message: null };
    this.lastRuns.set(name, entry);
    let result: JobResult;
    try {
      result = await work();
    } catch (error) {
      result = { outcome: 'failed', message: `${targetLabel(target)} backup ${task} failed: ${(error as Error).message}` };
      this.logger.error(result.message);
      this.emitFailed(target, task, error, result.message);
    }
    Object.assign(entry, { finishedAt: this.clock.now(), outcome: result.outcome, message: result.message });
    return result;
  }

  /** Nothing alarming: a disabled target is a choice. Debug level, so the log file does not fill with it. */
  private disabled(target: BackupTarget, label: string, entry: RosterEntry | undefined): JobResult {
    const message = `${label} not run: ${entry ? entry.offReason : `there is no target '${target}' any more`}`;
    this.logger.debug(message);
    return { outcome: 'disabled', message };
  }

  private skipped(target: BackupTarget, task: ScheduledTask, reason: ScheduledRunSkipReason, message: string): JobResult {
    this.logger.log(message);
    this.emitSkipped(target, task, reason, message);
    return { outcome: 'skipped', message };
  }

  /**
   * A rotation or verification that could not run: skipped when the target's settings are incomplete
   * (an enabled R2 target nobody has configured yet), failed otherwise; returns which. Asked of the storage itself,
   * since its "not configured" code also covers a missing bucket or folder, which are failures.
   */
  private async emitNotRun(target: BackupTarget, task: ScheduledTask, error: unknown, message: string): Promise<'skipped' | 'failed'> {
    const missing = await this.storage
      .get(target)
      .then((storage) => storage.missingConfiguration())
      .catch(() => undefined);
    if (missing) {
      this.emitSkipped(target, task, 'not_configured', message);
      return 'skipped';
    }
    this.emitFailed(target, task, error, message);
    return 'failed';
  }

  private emitSkipped(target: BackupTarget, task: ScheduledTask, reason: ScheduledRunSkipReason, message: string): void {
    this.events.emit(new ScheduledRunSkippedEvent(jobName(target, task), target, task, reason, message));
  }

  private emitFailed(target: BackupTarget, task: ScheduledTask, error: unknown, message: string): void {
    const code = error instanceof DomainError ? error.code : ErrorCode.Internal;
    this.events.emit(new ScheduledRunFailedEvent(jobName(target, task), target, task, code, message));
  }

  /** A report for a verification that could not be carried out (storage unreachable, backup gone): not ok. */
  private unverified(target: BackupTarget, archive: string, message: string, durationMs: number): VerificationReport {
    return { target, archive, ok: false, message, checkedAt: this.clock.now().toISOString(), durationMs, backupTimestamp: null, databases: [], problem: null };
  }
}

/** 60, or 7.5 for half a 15-minute interval. */
function formatMinutes(minutes: number): string {
  return Number.isInteger(minutes) ? String(minutes) : minutes.toFixed(1);
}

function describeAgo(ms: number): string {
  const minutes = Math.floor(ms / MINUTE_MS);
  if (minutes < 1) return 'less than a minute ago';
  return minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
}
