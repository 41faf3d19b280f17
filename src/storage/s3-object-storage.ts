import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { SettingsChangedEvent } from '../settings/settings-changed.event.js';
import { findDefinition } from '../settings/setting-definitions.js';
import { SettingsService } from '../settings/settings.service.js';
import { S3RequestMeter } from './s3-request-meter.js';
import { S3TargetStorage } from './s3-target-storage.js';
import { S3UploadJournal } from './s3-upload-journal.js';
import { StorageOptions } from './storage-options.js';

/** The built-in `r2` target: Cloudflare R2 (or any S3-compatible service through r2_endpoint), from the r2_* settings. */
@Injectable()
export class S3ObjectStorage extends S3TargetStorage implements OnModuleDestroy {
  constructor(settings: SettingsService, options: StorageOptions, journal: S3UploadJournal, clock: Clock, meter: S3RequestMeter) {
    super('r2', 'R2', () => settings.r2Settings(), options, journal, clock, meter);
  }

  @OnDomainEvent(SettingsChangedEvent)
  onSettingsChanged(event: SettingsChangedEvent): void {
    if (findDefinition(event.key)?.storage !== 'r2') return;
    this.logger.log(`Setting ${event.key} changed: the R2 client is rebuilt on next use`);
    this.dropConnection();
  }

  onModuleDestroy(): void {
    this.dropConnection();
  }
}
