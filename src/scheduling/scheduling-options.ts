import { type Environment, integer } from '../config/environment.js';

/**
 * The scheduler's configuration, read once from the environment. SENTINEL_SCHEDULES, TZ and
 * SENTINEL_DUPLICATE_WINDOW_MINUTES are part of the validated Environment; the catch-up delay is a
 * scheduler knob with a safe default. A bad value stops the start naming the variable.
 */
export abstract class SchedulingOptions {
  /** SENTINEL_SCHEDULES: off for tests and for all but one of several instances sharing a bucket. */
  abstract readonly enabled: boolean;
  /** TZ: the zone the schedule's wall-clock times are in. */
  abstract readonly timeZone: string;
  /** A scheduled backup is skipped when one to the same target succeeded this recently; 0 turns the check off. */
  abstract readonly duplicateWindowMinutes: number;
  /** How long after a start the missed-backup check runs (SENTINEL_CATCH_UP_DELAY_SECONDS, default 45). */
  abstract readonly catchUpDelayMs: number;

  static fromEnvironment(env: Pick<Environment, 'schedulesEnabled' | 'timeZone' | 'duplicateWindowMinutes' | 'raw'>): SchedulingOptions {
    return {
      enabled: env.schedulesEnabled,
      timeZone: env.timeZone,
      duplicateWindowMinutes: env.duplicateWindowMinutes,
      catchUpDelayMs: integer(env.raw, 'SENTINEL_CATCH_UP_DELAY_SECONDS', 45, 0, 3600) * 1000,
    };
  }
}
