import { Injectable } from '@nestjs/common';
import type { BackupTarget } from '../common/backup-target.js';
import type { TargetHealth } from './target-health.js';

/**
 * Each target's health, computed from the run history, the verification store, the schedule and the
 * settings, at the Clock's time: the one source of GET /api/status, the Prometheus metrics and the
 * overdue rule, so they never disagree.
 *
 * Overdue: an enabled target whose last success (or, when it never succeeded, the time it was enabled or
 * the service first started) is older than its backup schedule's period plus a grace of 25 % of the period
 * (SENTINEL_OVERDUE_GRACE_PERCENT). Also true when the service was down at the scheduled time.
 *
 * STUB (issue 15).
 */
@Injectable()
export class TargetHealthService {
  health(_target: BackupTarget): Promise<TargetHealth> {
    return Promise.reject(new Error('TargetHealthService is not built yet'));
  }

  all(): Promise<TargetHealth[]> {
    return Promise.reject(new Error('TargetHealthService is not built yet'));
  }
}
