import { type DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { AdoptedChainWiring } from './adopted-chain-wiring.js';
import { AuditModule } from './audit/audit.module.js';
import { BackupModule } from './backup/backup.module.js';
import { CommonModule } from './common/common.module.js';
import { CostsModule } from './costs/costs.module.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { EncryptionModule } from './encryption/encryption.module.js';
import { HealthModule } from './health/health.module.js';
import { HistoryModule } from './history/history.module.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { ReplicationModule } from './replication/replication.module.js';
import { RestoreModule } from './restore/restore.module.js';
import { SchedulingModule } from './scheduling/scheduling.module.js';
import { SettingsModule } from './settings/settings.module.js';
import { StorageModule } from './storage/storage.module.js';
import { TargetsModule } from './targets/targets.module.js';
import { WebModule } from './web/web.module.js';

@Module({})
export class AppModule {
  /**
   * `raw` is the environment (process variables over `.env`); passed in so tests can boot differently configured apps.
   * `extra` modules join the app (a test's listeners on the domain events, say).
   */
  static forRoot(raw: Record<string, string | undefined>, extra: NonNullable<DynamicModule['imports']> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(raw),
        EventEmitterModule.forRoot({ wildcard: false }),
        CommonModule,
        AuditModule,
        DatabaseModule,
        HealthModule,
        SettingsModule,
        TargetsModule,
        StorageModule,
        EncryptionModule,
        BackupModule,
        RestoreModule,
        ReplicationModule,
        ScheduleModule.forRoot(),
        SchedulingModule,
        MonitoringModule,
        CostsModule,
        HistoryModule,
        NotificationsModule,
        WebModule.forRoot(),
        ...extra,
      ],
      providers: [AdoptedChainWiring],
    };
  }
}
