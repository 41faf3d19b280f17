import { nextSlot, previousSlot, type SlotSpec } from '../scheduling/schedule-slots.js';

/**
 * The overdue rule, pure: a target is overdue once `reference` (its last success, or when it was enabled or
 * first seen when it never succeeded) is older than its schedule's period plus the grace (a fraction of the
 * period). The period is the schedule's interval that contains the reference, as the wall clock in the
 * service's time zone counts it: 23 or 25 hours for a daily schedule across a daylight-saving change, 28 to 31
 * days for a monthly one. Counting from the reference rather than from the next slot means a manual backup
 * just before a slot (which the duplicate window then skips) does not raise a false alarm, and the rule is
 * also met when the service was down at the scheduled time: nothing ran, so the deadline passes.
 */
export function overdueDeadline(reference: Date, slots: SlotSpec, timeZone: string, grace: number): Date {
  const period = nextSlot(slots, reference, timeZone).getTime() - previousSlot(slots, reference, timeZone).getTime();
  return new Date(reference.getTime() + Math.round(period * (1 + grace)));
}
