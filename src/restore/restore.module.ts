import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module.js';
import { RestoreApplier } from './apply/restore-applier.js';
import { RestoreFaults } from './apply/restore-faults.js';
import { BackupArchiveOpener } from './archive-reader/backup-archive-opener.js';
import { BackupVerifier } from './backup-verifier.service.js';
import { LastApplyStore } from './last-apply.store.js';
import { RestoreJournalStore } from './restore-journal.store.js';
import { RestoreOnStartHook } from './restore-on-start.hook.js';
import { RestoreStatusController } from './restore-status.controller.js';
import { RestoreController } from './restore.controller.js';
import { RestoreService } from './restore.service.js';

/**
 * The two-phase restore: staging and verification of archives (phase 1, RestoreService and
 * BackupVerifier), and the crash-safe apply at start (phase 2, RestoreOnStartHook and RestoreApplier),
 * which also opens the databases. BackupVerifier is exported for the weekly verification job.
 */
@Module({
  imports: [StorageModule],
  controllers: [RestoreController, RestoreStatusController],
  providers: [
    RestoreFaults,
    RestoreJournalStore,
    LastApplyStore,
    BackupArchiveOpener,
    RestoreApplier,
    RestoreOnStartHook,
    RestoreService,
    BackupVerifier,
  ],
  exports: [BackupVerifier, RestoreService],
})
export class RestoreModule {}
