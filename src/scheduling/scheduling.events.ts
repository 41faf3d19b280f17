import type { BackupTarget } from '../common/backup-target.js';
import type { ScheduledJobName, ScheduledTask } from './scheduled-jobs.js';

/** Why a scheduled run did not start a job, for a notifier to word (and to tell apart). */
export type ScheduledRunSkipReason = 'not_configured' | 'already_running' | 'restore_staged' | 'nothing_to_do';

/** A scheduled run did nothing, on purpose (an enabled target that is not configured, say). */
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
 * database): no backup job records it, so this event is the only trace besides the log.
 */
export class ScheduledRunFailedEvent {
  static readonly eventName = 'schedule.run_failed';
  constructor(
    readonly job: ScheduledJobName,
    readonly target: BackupTarget,
    readonly task: ScheduledTask,
    /** The error code (`STORAGE_UNREACHABLE`, `INSUFFICIENT_DISK_SPACE`, ...). */
    readonly code: string,
    readonly message: string,
  ) {}
}

/** Every event the scheduling module emits (a listener test subscribes to each). */
export const SCHEDULING_EVENTS = [ScheduledRunSkippedEvent, ScheduledRunFailedEvent] as const;
