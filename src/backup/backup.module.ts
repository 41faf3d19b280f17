import { Module } from '@nestjs/common';
import { EncryptionModule } from '../encryption/encryption.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { TargetsModule } from '../targets/targets.module.js';
import { ArchiveProducer } from './archive-production/archive-producer.js';
import { BackupSpaceCheck } from './archive-production/backup-space-check.js';
import { DatabaseSnapshotter } from './archive-production/database-snapshotter.js';
import { ScratchFolders } from './archive-production/scratch-folders.js';
import { AgeEncryptionStep } from './archive-writer/age-encryption-step.js';
import { ARCHIVE_WRITE_STEPS, type ArchiveWriteStep } from './archive-writer/archive-write-step.js';
import { ArchiveWriter } from './archive-writer/archive-writer.js';
import { BackupCatalogService } from './backup-catalog.service.js';
import { ChainHolds } from './incremental-production/chain-holds.js';
import { IncrementalProduction } from './incremental-production/incremental-production.js';
import { PageSnapshots } from './incremental-production/page-snapshots.js';
import { UnchangedDatabases } from './incremental-production/unchanged-databases.js';
import { BackupJobs } from './backup-jobs.js';
import { BackupJobsController } from './backup-jobs.controller.js';
import { BackupRunStore } from './backup-run.store.js';
import { BackupController } from './backup.controller.js';
import { DiskSpaceWatch } from './disk-space-watch.js';
import { DownloadLinkController } from './download-link/download-link.controller.js';
import { DownloadTickets } from './download-link/download-tickets.js';
import { ReplicaCopies } from './replica-copies.js';
import { RotationService } from './rotation.service.js';
import { StartupRecovery } from './startup-recovery.service.js';
import { TargetBusyGuard } from './target-busy-guard.js';
import { TargetsController } from './targets.controller.js';

@Module({
  imports: [SettingsModule, TargetsModule, StorageModule, EncryptionModule],
  controllers: [BackupController, BackupJobsController, TargetsController, DownloadLinkController],
  providers: [
    BackupRunStore,
    StartupRecovery,
    BackupJobs,
    ArchiveProducer,
    DatabaseSnapshotter,
    ScratchFolders,
    BackupSpaceCheck,
    IncrementalProduction,
    ChainHolds,
    PageSnapshots,
    UnchangedDatabases,
    ArchiveWriter,
    // The archive's steps after gzip (ArchiveWriteStep), in order: age encryption, for archives with recipients.
    AgeEncryptionStep,
    { provide: ARCHIVE_WRITE_STEPS, useFactory: (age: AgeEncryptionStep): ArchiveWriteStep[] => [age], inject: [AgeEncryptionStep] },
    BackupCatalogService,
    RotationService,
    DiskSpaceWatch,
    ReplicaCopies,
    TargetBusyGuard,
    DownloadTickets,
  ],
  exports: [BackupJobs, BackupCatalogService, RotationService, BackupRunStore, DiskSpaceWatch],
})
export class BackupModule {}
