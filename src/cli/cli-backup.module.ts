import { type DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AuditModule } from '../audit/audit.module.js';
import { BackupModule } from '../backup/backup.module.js';
import { CommonModule } from '../common/common.module.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { EncryptionModule } from '../encryption/encryption.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { TargetsModule } from '../targets/targets.module.js';
import { CliBackupStart } from './cli-backup-start.js';

/**
 * `sentinel-backup backup`'s root module: the service's own modules that make a backup (the registry of the
 * databases, settings and targets from config.db, the storage adapters, encryption and the record of what was
 * made here, and the backup module: BackupJobs, ArchiveProducer, the run history, the start-up clean-up), in a
 * Nest application context: no HTTP server, no scheduler, no replication, notifications or monitoring. So a
 * backup from the command line is the service's backup, byte for byte the same steps, recorded where the
 * service records its own. CliBackupStart stands in for the service's start step (sweep, then open).
 *
 * The caller holds DATA_DIR's lock before building it: nothing here may run beside a service.
 */
@Module({})
export class CliBackupModule {
  static forEnvironment(raw: Record<string, string | undefined>): DynamicModule {
    return {
      module: CliBackupModule,
      imports: [
        ConfigModule.forRoot({ ...raw, SENTINEL_SCHEDULES: 'off', SENTINEL_COUNT_S3_REQUESTS: 'off' }),
        EventEmitterModule.forRoot({ wildcard: false }),
        CommonModule,
        // The controllers of the modules below ask for the audit's recorder (never used here: no requests).
        AuditModule,
        DatabaseModule,
        SettingsModule,
        TargetsModule,
        StorageModule,
        EncryptionModule,
        BackupModule,
      ],
      providers: [CliBackupStart],
    };
  }
}
