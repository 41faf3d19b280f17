import { recordedBefore } from '../targets/target-roster.js';
import { Injectable, Logger } from '@nestjs/common';
import { BackupRunStore } from '../backup/backup-run.store.js';
import type { BackupRunEntity } from '../backup/backup-run.entity.js';
import type { BackupTarget } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { AppConfig } from '../config/app-config.js';
import { nextRun, type ScheduleValue } from '../common/schedules/backup-schedule.js';
import { backupRecurrence } from '../scheduling/scheduled-jobs.js';
import { VerificationStore } from '../scheduling/verification.store.js';
import { TargetRoster } from '../targets/target-roster.js';
import { HealthRecordsStore, type PreJobFailure, type RecordedVerification, type TargetRecord } from './health-records.store.js';
import { MonitoringOptions } from './monitoring-options.js';
import { overdueDeadline } from './overdue-rule.js';
import type { TargetHealth, TargetState } from './target-health.js';

/**
 * The settings the health depends on, for every target: local, r2, then the added targets (read without
 * decrypting any secret: a bad master key must not hide the status).
 */
export interface HealthSettings {
  targets: BackupTarget[];
  enabled: Partial<Record<BackupTarget, boolean>>;
  /** Each target's backup schedule value (`<target>_backup_schedule`, an added target's `schedule`). */
  schedules: Partial<Record<BackupTarget, ScheduleValue>>;
  /** An added target's creation: what its id recorded before is a deleted target's (RosterEntry.since). */
  since: Partial<Record<BackupTarget, string>>;
}

/** A target's counters, from durable records only, so they continue across restarts (what /metrics exports as `_total`). */
export interface TargetTotals {
  /** Failed backup jobs plus scheduled runs that failed before a job existed. */
  failures: number;
  /** Failed backup jobs (the run history). */
  jobFailures: number;
  /** Scheduled runs that failed before a job existed (the health records). */
  preJobFailures: number;
  /** Bytes of the archives successful backups stored. */
  bytesStored: number;
  restoresApplied: number;
  /** Failed replications into the target, as a replica (the run history): not backup failures of it. */
  replicationFailures: number;
}

/**
 * Each target's health, computed from the run history, the failures of scheduled runs that never became a
 * job (HealthRecordsStore), the verification results, the schedule and the settings, at the Clock's time:
 * the one source of GET /api/status, the Prometheus metrics and the overdue notification, so they never
 * disagree.
 *
 * States, first match wins:
 * 1. `disabled`: the target is turned off (`<target>_backup_enabled` = 0). Nothing else is judged.
 * 2. `failing`: the last attempt failed: a backup job that ended failed (interrupted and cancelled ones
 *    included: no archive was made), or a scheduled run refused before a job existed (target not configured,
 *    storage unreachable, no disk space), whichever is newer than the last ended job. Failing wins over
 *    overdue: it carries the error and what to do; `overdue_since` still says when the target also became overdue.
 * 3. `overdue`: no success within the schedule's period plus the grace (SENTINEL_OVERDUE_GRACE_PERCENT, default
 *    25 % of the period), counted from the last success, or from when the target was enabled if that is later
 *    (turning a target back on restarts the count), or, when it never succeeded, from when it was enabled or
 *    first seen enabled by this service. Nothing has to run for it: when the service was down at the
 *    scheduled time the deadline passes all the same. With SENTINEL_SCHEDULES=off the rule still applies:
 *    an enabled target is expected to be backed up (by hand, or by the instance that runs the schedules).
 * 4. `never`: enabled, no success yet, and not yet overdue.
 * 5. `ok`.
 */
@Injectable()
export class TargetHealthService {
  private readonly logger = new Logger('Monitoring');

  constructor(
    private readonly runs: BackupRunStore,
    private readonly records: HealthRecordsStore,
    private readonly verifications: VerificationStore,
    private readonly targets: TargetRoster,
    private readonly options: MonitoringOptions,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async health(target: BackupTarget): Promise<TargetHealth> {
    return this.compute(target, await this.readSettings(), this.clock.now());
  }

  /** Every target's health, local first, at one instant. */
  async all(): Promise<TargetHealth[]> {
    const settings = await this.readSettings();
    const now = this.clock.now();
    const result: TargetHealth[] = [];
    for (const target of settings.targets) result.push(await this.compute(target, settings, now));
    return result;
  }

  async totals(target: BackupTarget): Promise<TargetTotals> {
    const [runs, replication] = await Promise.all([this.runs.totals(target, null), this.runs.replicationFailures(target)]);
    const record = this.records.get(target);
    return {
      replicationFailures: replication.failed,
      failures: runs.failed + record.preJobFailuresTotal,
      jobFailures: runs.failed,
      preJobFailures: record.preJobFailuresTotal,
      bytesStored: runs.bytesStored,
      restoresApplied: record.restoresApplied,
    };
  }

  /** Notes a change of the target's enabled flag at once (the overdue count restarts when it is turned on). */
  async observeSettings(): Promise<void> {
    const settings = await this.readSettings();
    const now = this.clock.now();
    for (const target of settings.targets) await this.records.observeEnabled(target, settings.enabled[target] ?? false, now);
  }

  /**
   * The target's record with its enabled flag as of `now`. The flag is normally noted on each change
   * (observeSettings, on SettingsChangedEvent); a change not noted yet (a restore brought other settings
   * back) is noted here. Writing it is not part of answering: a write that fails (a full disk) is logged
   * and the change, which the store keeps in memory, is used all the same, so a status request, a scrape or
   * the overdue watch never fails on it.
   */
  private async observed(target: BackupTarget, enabled: boolean, now: Date): Promise<TargetRecord> {
    try {
      return await this.records.observeEnabled(target, enabled, now);
    } catch (error) {
      this.logger.warn(`Could not write that ${target} backups were turned ${enabled ? 'on' : 'off'}: ${(error as Error).message}`);
      return this.records.get(target);
    }
  }

  private async compute(target: BackupTarget, settings: HealthSettings, now: Date): Promise<TargetHealth> {
    // A target deleted a moment ago reads as turned off, not as a failure to answer.
    const enabled = settings.enabled[target] ?? false;
    const since = settings.since[target];
    const record = recordSince(await this.observed(target, enabled, now), since);
    const [lastSuccess, lastEnded] = await Promise.all([this.runs.lastSuccess(target, undefined, since), this.runs.lastEnded(target, since)]);
    const successAt = lastSuccess?.finishedAt ?? null;
    const totals = await this.runs.totals(target, successAt);
    const attempt = lastAttempt(lastEnded, record.preJobFailures.at(-1));
    const recurrence = backupRecurrence(target, settings.schedules[target] ?? 'daily');
    const timeZone = this.config.env.timeZone;
    const overdueAt = enabled ? overdueDeadline(overdueReference(successAt, record, now), recurrence, timeZone, this.options.overdueGrace) : null;
    const overdue = overdueAt !== null && now.getTime() >= overdueAt.getTime();
    const state: TargetState = !enabled ? 'disabled' : attempt?.error ? 'failing' : overdue ? 'overdue' : successAt === null ? 'never' : 'ok';
    const preJobSinceSuccess = record.preJobFailures.filter((failure) => successAt === null || Date.parse(failure.time) > Date.parse(successAt)).length;
    return {
      target,
      state,
      enabled,
      last_success: successAt,
      last_attempt: attempt?.time ?? null,
      last_result: attempt ? (attempt.error ? 'failed' : 'succeeded') : null,
      last_error: attempt?.error ?? null,
      last_backup: lastSuccess ? { filename: lastSuccess.filename, size_bytes: lastSuccess.sizeBytes, duration_ms: lastSuccess.durationMs } : null,
      last_duration_ms: lastEnded?.durationMs ?? null,
      next_run: enabled && this.config.env.schedulesEnabled ? nextRun(recurrence, now, timeZone).toISOString() : null,
      last_verification: this.lastVerification(target, record.lastVerification, since),
      overdue_at: overdueAt?.toISOString() ?? null,
      overdue_since: enabled && overdue ? overdueAt.toISOString() : null,
      consecutive_failures: totals.failedSince + preJobSinceSuccess,
    };
  }

  /** The newer of the scheduled verification's stored report and the last verdict heard from any verification. */
  private lastVerification(target: BackupTarget, heard: RecordedVerification | null, since: string | undefined): TargetHealth['last_verification'] {
    const report = this.verifications.latest().find((r) => r.target === target && !recordedBefore(r.checkedAt, since));
    const stored: RecordedVerification | null = report ? { time: report.checkedAt, filename: report.archive, verdict: report.ok ? 'passed' : 'failed' } : null;
    if (!stored) return heard;
    if (!heard) return stored;
    return Date.parse(heard.time) >= Date.parse(stored.time) ? heard : stored;
  }

  async readSettings(): Promise<HealthSettings> {
    const entries = await this.targets.entries();
    return {
      targets: entries.map((entry) => entry.id),
      enabled: Object.fromEntries(entries.map((entry) => [entry.id, entry.enabled])),
      schedules: Object.fromEntries(entries.map((entry) => [entry.id, entry.schedule])),
      since: Object.fromEntries(entries.flatMap((entry) => (entry.since ? [[entry.id, entry.since]] : []))),
    };
  }
}

interface Attempt {
  time: string;
  error: { code: string; message: string; time: string } | null;
}

/** The later of the last ended job and the last failure before a job existed. */
function lastAttempt(run: BackupRunEntity | null, preJob: PreJobFailure | undefined): Attempt | null {
  const runAt = run?.finishedAt ?? null;
  if (preJob && (runAt === null || Date.parse(preJob.time) > Date.parse(runAt))) {
    return { time: preJob.time, error: { code: preJob.code, message: preJob.message, time: preJob.time } };
  }
  if (!run || runAt === null) return null;
  if (run.status === 'succeeded') return { time: runAt, error: null };
  return { time: runAt, error: { code: run.errorCode ?? ErrorCode.BackupFailed, message: run.error ?? 'The backup failed', time: runAt } };
}

/** Where the overdue count starts: the last success, or the enabled time when later; never succeeded: enabled or first seen. */
function overdueReference(successAt: string | null, record: TargetRecord, now: Date): Date {
  const enabledAt = record.enabledAt ? Date.parse(record.enabledAt) : null;
  if (successAt !== null) return new Date(Math.max(Date.parse(successAt), enabledAt ?? -Infinity));
  const start = record.enabledAt ?? record.firstSeenAt;
  return start ? new Date(start) : now;
}

/** The record without what was recorded before `since` (a deleted target's of the same id): its times start at `since`. */
function recordSince(record: TargetRecord, since: string | undefined): TargetRecord {
  if (since === undefined) return record;
  return {
    ...record,
    enabledAt: recordedBefore(record.enabledAt, since) ? since : record.enabledAt,
    firstSeenAt: recordedBefore(record.firstSeenAt, since) ? since : record.firstSeenAt,
    preJobFailures: record.preJobFailures.filter((failure) => !recordedBefore(failure.time, since)),
    lastVerification: record.lastVerification && recordedBefore(record.lastVerification.time, since) ? null : record.lastVerification,
  };
}
