import type { BackupTarget } from '../common/backup-target.js';
import type { BackupSchedule } from '../settings/settings.service.js';
import type { SlotSpec } from './schedule-slots.js';

/** The scheduler's jobs: one backup, one rotation and one verification per target. */
export const SCHEDULED_JOB_NAMES = ['local-backup', 'r2-backup', 'local-rotation', 'r2-rotation', 'local-verify', 'r2-verify'] as const;
export type ScheduledJobName = (typeof SCHEDULED_JOB_NAMES)[number];

export type ScheduledTask = 'backup' | 'rotation' | 'verification';

export interface ScheduledJob {
  name: ScheduledJobName;
  target: BackupTarget;
  task: ScheduledTask;
  slots: SlotSpec;
}

/** The spec's times: local backups daily at 01:00; R2 backups at 03:00 per `r2_backup_schedule`. */
export const LOCAL_BACKUP_SLOTS: SlotSpec = { hour: 1, minute: 0, cadence: { every: 'day' } };

export function r2BackupSlots(schedule: BackupSchedule): SlotSpec {
  switch (schedule) {
    case 'daily':
      return { hour: 3, minute: 0, cadence: { every: 'day' } };
    case 'weekly':
      return { hour: 3, minute: 0, cadence: { every: 'week', weekday: 0 } };
    case 'monthly':
      return { hour: 3, minute: 0, cadence: { every: 'month', day: 1 } };
  }
}

/** The spec's rotation time, for each target: daily at 03:30. */
export const ROTATION_SLOTS: SlotSpec = { hour: 3, minute: 30, cadence: { every: 'day' } };

/**
 * Verification of the newest backup: Sundays at 04:30, when the night's backups (01:00, 03:00) and
 * rotation (03:30) are normally done and nobody is at work.
 */
export const VERIFICATION_SLOTS: SlotSpec = { hour: 4, minute: 30, cadence: { every: 'week', weekday: 0 } };

/** Every job with its times, given the R2 backup schedule setting. */
export function scheduledJobs(r2Schedule: BackupSchedule): ScheduledJob[] {
  return [
    { name: 'local-backup', target: 'local', task: 'backup', slots: LOCAL_BACKUP_SLOTS },
    { name: 'r2-backup', target: 'r2', task: 'backup', slots: r2BackupSlots(r2Schedule) },
    { name: 'local-rotation', target: 'local', task: 'rotation', slots: ROTATION_SLOTS },
    { name: 'r2-rotation', target: 'r2', task: 'rotation', slots: ROTATION_SLOTS },
    { name: 'local-verify', target: 'local', task: 'verification', slots: VERIFICATION_SLOTS },
    { name: 'r2-verify', target: 'r2', task: 'verification', slots: VERIFICATION_SLOTS },
  ];
}

/** The slots of a target's backup job (the catch-up check's schedule). */
export function backupSlots(target: BackupTarget, r2Schedule: BackupSchedule): SlotSpec {
  return target === 'local' ? LOCAL_BACKUP_SLOTS : r2BackupSlots(r2Schedule);
}

/** The settings whose change re-times or stops a job. */
export const SCHEDULE_SETTING_KEYS: ReadonlySet<string> = new Set(['local_backup_enabled', 'r2_backup_enabled', 'r2_backup_schedule']);
