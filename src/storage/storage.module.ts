import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { SettingsModule } from '../settings/settings.module.js';
import { TargetsModule } from '../targets/targets.module.js';
import { LocalFolderStorage } from './local-folder-storage.js';
import { S3ObjectStorage } from './s3-object-storage.js';
import { StorageController } from './storage.controller.js';
import { StorageOptions } from './storage-options.js';
import { S3UploadJournal } from './s3-upload-journal.js';
import { StorageTargets } from './storage-targets.js';
import { S3RequestLedger } from './s3-request-ledger.js';
import { S3RequestMeter } from './s3-request-meter.js';

/** Object storage behind one port: the R2/S3 adapter and the local-folder adapter, reached through StorageTargets. */
@Module({
  imports: [SettingsModule, TargetsModule],
  controllers: [StorageController],
  providers: [
    { provide: StorageOptions, inject: [AppConfig], useFactory: (config: AppConfig) => StorageOptions.fromEnvironment(config.env) },
    S3UploadJournal,
    S3RequestLedger,
    { provide: S3RequestMeter, useExisting: S3RequestLedger },
    S3ObjectStorage,
    LocalFolderStorage,
    StorageTargets,
  ],
  exports: [StorageTargets, S3RequestLedger],
})
export class StorageModule {}
