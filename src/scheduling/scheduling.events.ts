import type { BackupTarget } from '../common/backup-target.js';
import type { ScheduledJobName, ScheduledTask } from './scheduled-jobs.js';

/**
 * Why a scheduled run did not start a job, for a notifier to word (and to tell apart):
 * - `not_configured`: the target is enabled but its settings are incomplete (R2 without credentials);
 * - `already_running`: a backup of the target (or the previous rotation or verification) is still running;
 * - `recent_backup`: a backup of the target finished within SENTINEL_DUPLICATE_WINDOW_MINUTES;
 * - `no_backup_to_verify`: the weekly verification found no backup of this installation.
 * A disabled target's jobs emit nothing: turning a target off is a choice, not news.
 */
export type ScheduledRunSkipReason = 'not_configured' | 'already_running' | 'recent_backup' | 'no_backup_to_verify';

/** A scheduled run did nothing, on purpose or because there was nothing it could do yet. `message` is the logged line. */
export class ScheduledRunSkippedEvent {
  static readonly eventName = 'schedule.run_skipped';
  constructor(
    readonly job: ScheduledJobName,
    readonly target: BackupTarget,
    readonly task: ScheduledTask,
    readonly reason: ScheduledRunSkipReason,
    readonly message: string,
  ) {}
}

/**
 * A scheduled run failed before it became a job (storage unreachable, no disk space, damaged
 * database): no backup job records it, so this event is the only trace besides the log. A backup
 * job that starts and then fails is told by BackupFailedEvent instead, never by both.
 */
export class ScheduledRunFailedEvent {
  static readonly eventName = 'schedule.run_failed';
  constructor(
    readonly job: ScheduledJobName,
    readonly target: BackupTarget,
    readonly task: ScheduledTask,
    /** The error code (`STORAGE_UNAVAILABLE`, `INSUFFICIENT_DISK_SPACE`, `DATABASE_DAMAGED`, ...; `INTERNAL` for an unexpected error). */
    readonly code: string,
    readonly message: string,
  ) {}
}

/** Every event the scheduling module emits (a listener test subscribes to each). */
export const SCHEDULING_EVENTS = [ScheduledRunSkippedEvent, ScheduledRunFailedEvent] as const;
