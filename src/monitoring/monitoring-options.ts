import { type Environment, integer } from '../config/environment.js';

/** Default grace after a schedule's period before an enabled target counts as overdue: a quarter of the period. */
export const DEFAULT_OVERDUE_GRACE_PERCENT = 25;

/**
 * The monitoring module's configuration, read once from the environment; a bad value stops the start
 * with one line naming the variable.
 */
export abstract class MonitoringOptions {
  /** SENTINEL_OVERDUE_GRACE_PERCENT (0–1000, default 25) as a fraction of the schedule's period: 0.25. */
  abstract readonly overdueGrace: number;
  /** How long the count of stored backups per target may be reused before /metrics lists the target again. */
  abstract readonly storedBackupsMaxAgeMs: number;

  static fromEnvironment(env: Pick<Environment, 'raw'>): MonitoringOptions {
    return {
      overdueGrace: integer(env.raw, 'SENTINEL_OVERDUE_GRACE_PERCENT', DEFAULT_OVERDUE_GRACE_PERCENT, 0, 1000) / 100,
      storedBackupsMaxAgeMs: integer(env.raw, 'SENTINEL_METRICS_LISTING_MAX_AGE_SECONDS', 300, 10, 24 * 3600) * 1000,
    };
  }
}
