import { Module } from '@nestjs/common';
import { BackupModule } from '../backup/backup.module.js';
import { EncryptionModule } from '../encryption/encryption.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { TargetsModule } from '../targets/targets.module.js';
import { ArchiveCopier } from './archive-copier.js';
import { ReplicationController } from './replication.controller.js';
import { ReplicationJobs } from './replication-jobs.js';
import { ReplicationPlanner } from './replication-planner.js';
import { ReplicationTrigger } from './replication-trigger.js';

/**
 * Replication (issue 16): a target that replicates from another copies each of that target's backups after
 * it succeeds, streamed and checked on arrival, catching up with what it missed; POST /api/targets/{id}/sync.
 */
@Module({
  imports: [TargetsModule, StorageModule, EncryptionModule, BackupModule],
  controllers: [ReplicationController],
  providers: [ArchiveCopier, ReplicationPlanner, ReplicationJobs, ReplicationTrigger],
  exports: [ReplicationJobs],
})
export class ReplicationModule {}
