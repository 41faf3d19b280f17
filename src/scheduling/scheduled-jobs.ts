import type { BackupTarget } from '../common/backup-target.js';
import { namedSlots, type Recurrence, type ScheduleValue, scheduleRecurrence, SPEC_BACKUP_HOUR, specBackupHour } from '../common/schedules/backup-schedule.js';
import type { SlotSpec } from './schedule-slots.js';

/** The built-in targets' jobs; an added target `<id>` has `<id>-backup`, `<id>-rotation` and `<id>-verify`. */
export const SCHEDULED_JOB_NAMES = ['local-backup', 'r2-backup', 'local-rotation', 'r2-rotation', 'local-verify', 'r2-verify'] as const;
/** The scheduler's jobs: one backup, one rotation and one verification per target. */
export type ScheduledJobName = `${BackupTarget}-${'backup' | 'rotation' | 'verify'}`;

export type ScheduledTask = 'backup' | 'rotation' | 'verification';

export interface ScheduledJob {
  name: ScheduledJobName;
  target: BackupTarget;
  task: ScheduledTask;
  /** When it runs: the spec's slots, or (a backup on an hourly or cron schedule) a cron expression. */
  recurrence: Recurrence;
}

/** The spec's times: local backups daily at 01:00; R2 backups at 03:00 per `r2_backup_schedule`. */
export const LOCAL_BACKUP_SLOTS: SlotSpec = namedSlots('daily', SPEC_BACKUP_HOUR.local);

/** The spec's R2 slots for `r2_backup_schedule` daily, weekly or monthly. */
export function r2BackupSlots(schedule: 'daily' | 'weekly' | 'monthly'): SlotSpec {
  return namedSlots(schedule, SPEC_BACKUP_HOUR.r2);
}

/** The spec's rotation time, for each target: daily at 03:30. */
export const ROTATION_SLOTS: SlotSpec = { hour: 3, minute: 30, cadence: { every: 'day' } };

/**
 * Verification of the newest backup: Sundays at 04:30, when the night's backups (01:00, 03:00) and
 * rotation (03:30) are normally done and nobody is at work.
 */
export const VERIFICATION_SLOTS: SlotSpec = { hour: 4, minute: 30, cadence: { every: 'week', weekday: 0 } };

/** A target as the scheduler sees it: its id and its backup schedule value. */
export interface ScheduledTargetSchedule {
  id: BackupTarget;
  schedule: ScheduleValue;
}

/**
 * Every target's jobs with their times: the backups, then the rotations, then the verifications, each in the
 * targets' order (local, r2, then the added ones). Rotation and verification keep the spec's slots whatever the
 * backup schedule: the spec times rotation on its own (daily at 03:30), not after each backup.
 */
export function scheduledJobs(targets: readonly ScheduledTargetSchedule[]): ScheduledJob[] {
  const slots = (spec: SlotSpec): Recurrence => ({ kind: 'slots', slots: spec });
  return [
    ...targets.map((t): ScheduledJob => ({ name: jobName(t.id, 'backup'), target: t.id, task: 'backup', recurrence: backupRecurrence(t.id, t.schedule) })),
    ...targets.map((t): ScheduledJob => ({ name: jobName(t.id, 'rotation'), target: t.id, task: 'rotation', recurrence: slots(ROTATION_SLOTS) })),
    ...targets.map((t): ScheduledJob => ({ name: jobName(t.id, 'verification'), target: t.id, task: 'verification', recurrence: slots(VERIFICATION_SLOTS) })),
  ];
}

/** A target's job name: `r2-backup`, `local-rotation`, `<id>-verify`. */
export function jobName(target: BackupTarget, task: ScheduledTask): ScheduledJobName {
  return `${target}-${task === 'verification' ? 'verify' : task}`;
}

/** The runs of a target's backup job: its schedule value, with daily / weekly / monthly at the target's spec hour. */
export function backupRecurrence(target: BackupTarget, schedule: ScheduleValue): Recurrence {
  return scheduleRecurrence(schedule, specBackupHour(target));
}

/** The settings whose change re-times or stops a job. */
export const SCHEDULE_SETTING_KEYS: ReadonlySet<string> = new Set(['local_backup_enabled', 'r2_backup_enabled', 'r2_backup_schedule', 'local_backup_schedule']);
