import { type DynamicModule, Module } from '@nestjs/common';
import { Clock } from '../../common/clock.js';
import { DiskSpace } from '../../common/fs/disk-space.service.js';
import { LeftoverSweeper } from '../../common/fs/leftover-sweeper.js';
import { InstallationIdentity } from '../../common/installation/installation-identity.js';
import { AppConfig } from '../../config/app-config.js';
import type { Environment } from '../../config/environment.js';
import { RestoreApplier } from '../apply/restore-applier.js';
import { RestoreFaults } from '../apply/restore-faults.js';
import { AgeDecryptionStep } from '../archive-reader/age-decryption.step.js';
import { ARCHIVE_READ_STEPS, type ArchiveReadStep } from '../archive-reader/archive-read-step.js';
import { LastApplyStore } from '../last-apply.store.js';
import { RestoreJournalStore } from '../restore-journal.store.js';
import { ArchiveUnpacker } from './archive-unpacker.js';
import { ArchiveVerification } from './archive-verification.js';
import { DataDirLockHolder } from './data-dir-lock-holder.js';
import { DataFolderLayout } from './data-folder-layout.js';
import { PointUnpacker } from './point-unpacker.js';
import { RestoreStager } from './restore-stager.js';

/**
 * The restore core: everything a restore does to files, with no database connection, no HTTP, no
 * scheduler and no config.db. It unpacks an archive (ArchiveUnpacker: the reader pipeline and the
 * strict extractor, with the integrity checks of archive-reader/), verifies it (ArchiveVerification: every
 * check, a verdict per database, in a scratch folder), stages it (RestoreStager: the
 * `.pending-restore` journal, RestoreJournalStore), and applies it crash-safely with a safety copy
 * first (RestoreApplier, LastApplyStore; crash points in RestoreFaults). It knows the databases
 * as files in the data folder (DataFolderLayout), never through DatabaseRegistry.
 *
 * In the service, RestoreModule imports it and the shared services it asks for (AppConfig, Clock,
 * DiskSpace, InstallationIdentity, LeftoverSweeper) come from the global Config and Common modules.
 * A program that works on a stopped service's data folder (the disaster-recovery command line) builds
 * `RestoreCoreModule.standalone(env)`, which brings its own and takes DATA_DIR's lock (DataDirLockHolder)
 * before anything reads DATA_DIR: while a service runs on it, building the module fails with the
 * lock's message (which service, what to do), and nothing is touched. Closing the module releases it.
 * The applier's `applyPending` requires the proof (DatabasesClosed) that the holder gives.
 *
 * ARCHIVE_READ_STEPS holds age decryption (AgeDecryptionStep): an archive named `.tar.gz.age` is
 * decrypted before gunzip with the keys its caller passes with the archive (ArchiveToUnpack.keys: the
 * service gives the request's identity and its keyring's, a command line the identities of a key file),
 * so the core needs no key store and no database; the extractor's rules stay as they are.
 */
@Module({
  providers: [
    { provide: DataFolderLayout, inject: [AppConfig], useFactory: (config: AppConfig) => DataFolderLayout.fromEnvironment(config.env) },
    { provide: ARCHIVE_READ_STEPS, useValue: [new AgeDecryptionStep()] satisfies ArchiveReadStep[] },
    RestoreFaults,
    RestoreJournalStore,
    LastApplyStore,
    ArchiveUnpacker,
    PointUnpacker,
    ArchiveVerification,
    RestoreStager,
    RestoreApplier,
  ],
  exports: [DataFolderLayout, ARCHIVE_READ_STEPS, RestoreJournalStore, LastApplyStore, ArchiveUnpacker, ArchiveVerification, RestoreStager, RestoreApplier],
})
export class RestoreCoreModule {
  /** The core on its own, for a program without the service: `env` is read as the service reads it (DATA_DIR, SENTINEL_DATABASES). */
  static standalone(env: Environment): DynamicModule {
    return {
      module: RestoreCoreModule,
      providers: [{ provide: AppConfig, useValue: { env } satisfies AppConfig }, DataDirLockHolder, Clock, DiskSpace, InstallationIdentity, LeftoverSweeper],
      exports: [DataDirLockHolder],
    };
  }
}
