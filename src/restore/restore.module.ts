import { Module } from '@nestjs/common';
import { EncryptionModule } from '../encryption/encryption.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { ArchiveChainReader } from './archive-chain-reader.js';
import { BackupArchiveOpener } from './archive-reader/backup-archive-opener.js';
import { BackupContentsReader } from './backup-contents-reader.js';
import { BackupVerifier } from './backup-verifier.service.js';
import { RestoreCoreModule } from './core/restore-core.module.js';
import { RestoreOnStartHook } from './restore-on-start.hook.js';
import { RestoreStatusController } from './restore-status.controller.js';
import { RunningVerificationsController } from './running-verifications.controller.js';
import { RestoreController } from './restore.controller.js';
import { RestoreService } from './restore.service.js';
import { StoredArchiveAccess } from './stored-archive-access.js';

/**
 * The two-phase restore in the service: staging and verification of stored backups (phase 1,
 * RestoreService and BackupVerifier, which read them through BackupArchiveOpener), and the crash-safe
 * apply at start (phase 2, RestoreOnStartHook), which also opens the databases. The work on files is
 * the restore core's (RestoreCoreModule). BackupVerifier is exported for the weekly verification job.
 * Encrypted backups: StoredArchiveAccess decides before any download which keys a read gets (the
 * request's, then the server's keyring: EncryptionModule) and whether the archive was made here. ArchiveChainReader
 * reads an adopted increment's chain from its metadata for the backup catalog (wired at the root: AdoptedChainWiring).
 */
@Module({
  imports: [StorageModule, EncryptionModule, RestoreCoreModule],
  controllers: [RestoreController, RestoreStatusController, RunningVerificationsController],
  providers: [BackupArchiveOpener, StoredArchiveAccess, BackupContentsReader, RestoreOnStartHook, RestoreService, BackupVerifier, ArchiveChainReader],
  exports: [BackupVerifier, RestoreService, ArchiveChainReader],
})
export class RestoreModule {}
