import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { CommonModule } from '../common/common.module.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { readWrittenArchive } from '../encryption/archive-provenance.store.js';
import { SettingsModule } from '../settings/settings.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { TargetsModule } from '../targets/targets.module.js';
import { type BackupSource, StorageBackupSource } from './backup-source.js';
import { ReadOnlyConfigRegistry } from './read-only-config-registry.js';

/** config.db of the DATA_DIR, read-only, in place of the service's registry. */
@Global()
@Module({
  providers: [ReadOnlyConfigRegistry, { provide: DatabaseRegistry, useExisting: ReadOnlyConfigRegistry }],
  exports: [DatabaseRegistry],
})
class ReadOnlyConfigModule {}

/**
 * A target configured in a DATA_DIR, reached through the service's own modules (settings with their
 * secret decryption, targets, storage adapters) in a Nest application context: no HTTP server, no
 * scheduler, no backup or restore module, and only config.db opened, read-only (ReadOnlyConfigRegistry).
 * The master key is found as the service finds it (SENTINEL_MASTER_KEY, else DATA_DIR/.master-key).
 */
export async function openConfiguredTarget(dataDir: string, target: string, raw: Record<string, string | undefined>): Promise<BackupSource> {
  const context = await openConfiguration(dataDir, raw);
  try {
    const storage = await context.get(StorageTargets).get(target);
    return new StorageBackupSource(
      storage,
      `target '${target}' of ${dataDir}`,
      target,
      () => context.close(),
      (name) => readWrittenArchive(dataDir, target, name),
    );
  } catch (error) {
    await context.close();
    throw error;
  }
}

/** The configuration of a DATA_DIR as above (settings, targets, storage adapters over config.db read-only), for a caller that needs every target (status). */
export function openConfiguration(dataDir: string, raw: Record<string, string | undefined>): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(
    {
      module: class ConfiguredTargetModule {},
      imports: [
        ConfigModule.forRoot({ ...raw, DATA_DIR: dataDir, SENTINEL_SCHEDULES: 'off', SENTINEL_COUNT_S3_REQUESTS: 'off' }),
        EventEmitterModule.forRoot({ wildcard: false }),
        CommonModule,
        ReadOnlyConfigModule,
        SettingsModule,
        TargetsModule,
        StorageModule,
      ],
    },
    { logger: false, abortOnError: false },
  );
}
