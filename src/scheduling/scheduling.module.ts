import { Module } from '@nestjs/common';
import { BackupModule } from '../backup/backup.module.js';
import { AppConfig } from '../config/app-config.js';
import { RestoreModule } from '../restore/restore.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { TargetsModule } from '../targets/targets.module.js';
import { ScheduleTimers } from './schedule-timers.js';
import { ScheduledJobRunner } from './scheduled-job-runner.js';
import { SchedulesController } from './schedules.controller.js';
import { SchedulingOptions } from './scheduling-options.js';
import { VerificationStore } from './verification.store.js';

/**
 * The scheduled jobs: backups, rotation and verification per target, timed by the settings and
 * re-timed when they change. Needs ScheduleModule.forRoot() (SchedulerRegistry) in the app.
 */
@Module({
  imports: [SettingsModule, StorageModule, BackupModule, RestoreModule, TargetsModule],
  controllers: [SchedulesController],
  providers: [
    { provide: SchedulingOptions, inject: [AppConfig], useFactory: (config: AppConfig) => SchedulingOptions.fromEnvironment(config.env) },
    VerificationStore,
    ScheduledJobRunner,
    ScheduleTimers,
  ],
  exports: [ScheduledJobRunner, VerificationStore],
})
export class SchedulingModule {}
