import { nextRun, previousRun, type Recurrence } from '../common/schedules/backup-schedule.js';

/**
 * The overdue rule, pure: a target is overdue once `reference` (its last success, or when it was enabled or
 * first seen when it never succeeded) is older than its schedule's period plus the grace (a fraction of the
 * period). The period is the schedule's interval that contains the reference, as the wall clock in the
 * service's time zone counts it: 23 or 25 hours for a daily schedule across a daylight-saving change, 28 to 31
 * days for a monthly one, an hour for an hourly one (two across the repeated hour of an autumn change, which
 * runs once), the gap between two runs of a cron schedule. Counting from the reference rather than from the next slot means a manual backup
 * just before a slot (which the duplicate window then skips) does not raise a false alarm, and the rule is
 * also met when the service was down at the scheduled time: nothing ran, so the deadline passes.
 */
export function overdueDeadline(reference: Date, recurrence: Recurrence, timeZone: string, grace: number): Date {
  const period = nextRun(recurrence, reference, timeZone).getTime() - previousRun(recurrence, reference, timeZone).getTime();
  return new Date(reference.getTime() + Math.round(period * (1 + grace)));
}
