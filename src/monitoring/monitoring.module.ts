import { Module } from '@nestjs/common';
import { BackupModule } from '../backup/backup.module.js';
import { AppConfig } from '../config/app-config.js';
import { SchedulingModule } from '../scheduling/scheduling.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { TargetsModule } from '../targets/targets.module.js';
import { BackupMetrics } from './backup-metrics.js';
import { DiskSpaceState } from './disk-space-state.js';
import { HealthEventRecorder } from './health-event.recorder.js';
import { HealthRecordsStore } from './health-records.store.js';
import { MonitoringOptions } from './monitoring-options.js';
import { MetricsController } from './metrics.controller.js';
import { StatusController } from './status.controller.js';
import { StoredBackupsCache } from './stored-backups.cache.js';
import { TargetHealthService } from './target-health.service.js';

/**
 * Monitoring (issue 15): each target's health (ok, failing, overdue, never, disabled), GET /api/status and
 * the Prometheus metrics at /metrics.
 */
@Module({
  imports: [SettingsModule, BackupModule, SchedulingModule, TargetsModule],
  controllers: [StatusController, MetricsController],
  providers: [
    { provide: MonitoringOptions, inject: [AppConfig], useFactory: (config: AppConfig) => MonitoringOptions.fromEnvironment(config.env) },
    HealthRecordsStore,
    HealthEventRecorder,
    TargetHealthService,
    StoredBackupsCache,
    BackupMetrics,
    DiskSpaceState,
  ],
  exports: [TargetHealthService],
})
export class MonitoringModule {}
