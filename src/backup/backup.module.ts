import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { BackupCatalogService } from './backup-catalog.service.js';
import { BackupJobsController } from './backup-jobs.controller.js';
import { BackupRunStore } from './backup-run.store.js';
import { BackupController } from './backup.controller.js';
import { BackupService } from './backup.service.js';
import { RotationService } from './rotation.service.js';

import { StartupRecovery } from './startup-recovery.service.js';

@Module({
  imports: [SettingsModule, StorageModule],
  controllers: [BackupController, BackupJobsController],
  providers: [BackupRunStore, StartupRecovery, BackupService, BackupCatalogService, RotationService],
  exports: [BackupService, BackupCatalogService, RotationService, BackupRunStore],
})
export class BackupModule {}
