import { Module } from '@nestjs/common';
import { TargetHealthService } from './target-health.service.js';

/**
 * Monitoring (issue 15): each target's health (ok, failing, overdue, never, disabled), GET /api/status and
 * the Prometheus metrics at /metrics.
 */
@Module({
  providers: [TargetHealthService],
  exports: [TargetHealthService],
})
export class MonitoringModule {}
