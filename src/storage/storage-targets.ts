import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { BackupTarget } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { DiskSpace } from '../common/fs/disk-space.service.js';
import { LeftoverSweeper } from '../common/fs/leftover-sweeper.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { TargetDirectory } from '../targets/target-directory.js';
import { TargetsChangedEvent } from '../targets/targets-changed.event.js';
import { FolderStorage } from './folder-storage.js';
import { LocalFolderStorage } from './local-folder-storage.js';
import type { ObjectStorage } from './object-storage.js';
import { addedTargetNames } from './s3-connection.js';
import { S3ObjectStorage } from './s3-object-storage.js';
import { S3RequestMeter } from './s3-request-meter.js';
import { S3TargetStorage } from './s3-target-storage.js';
import { S3UploadJournal } from './s3-upload-journal.js';
import { StorageOptions } from './storage-options.js';

/** One added target's adapter and the definition it was built from. */
interface BuiltAdapter {
  place: string;
  storage: ObjectStorage;
}

/**
 * How other modules reach object storage: `await storageTargets.get('r2')`, `get('local')`, or the id of a
 * target added through /api/targets (NotFound naming the ids there are otherwise). The adapters stay private to
 * this module; callers see only the ObjectStorage port. An added target's adapter is built from its definition
 * on first use and kept while the definition's place (kind, endpoint, bucket, prefix, credentials, path) stays
 * the same, so its S3 client is not rebuilt per request; a change or removal drops it.
 */
@Injectable()
export class StorageTargets implements OnModuleDestroy {
  private readonly logger = new Logger('StorageTargets');
  private readonly added = new Map<string, BuiltAdapter>();

  constructor(
    private readonly r2: S3ObjectStorage,
    private readonly local: LocalFolderStorage,
    private readonly directory: TargetDirectory,
    private readonly options: StorageOptions,
    private readonly journal: S3UploadJournal,
    private readonly sweeper: LeftoverSweeper,
    private readonly registry: DatabaseRegistry,
    private readonly disk: DiskSpace,
    private readonly clock: Clock,
    private readonly meter: S3RequestMeter,
  ) {}

  async get(target: BackupTarget): Promise<ObjectStorage> {
    if (target === 'r2') return this.r2;
    if (target === 'local') return this.local;
    return this.adapterFor(await this.directory.get(target));
  }

  /** A built-in target's adapter, without a lookup. */
  builtIn(target: 'local' | 'r2'): ObjectStorage {
    return target === 'r2' ? this.r2 : this.local;
  }

  /** The adapter of a definition already read (a caller that listed the targets). */
  adapterFor(definition: TargetDefinition): ObjectStorage {
    if (definition.id === 'r2') return this.r2;
    if (definition.id === 'local') return this.local;
    const place = placeOf(definition);
    const built = this.added.get(definition.id);
    if (built && built.place === place) return built.storage;
    if (built) this.drop(definition.id);
    const storage = this.build(definition);
    this.added.set(definition.id, { place, storage });
    return storage;
  }

  @OnDomainEvent(TargetsChangedEvent)
  onTargetsChanged(event: TargetsChangedEvent): void {
    // Rebuilt on next use from the stored definition: a change that keeps the place keeps nothing stale either.
    if (this.added.has(event.id)) this.drop(event.id);
  }

  onModuleDestroy(): void {
    for (const id of [...this.added.keys()]) this.drop(id);
  }

  private drop(id: string): void {
    const built = this.added.get(id);
    this.added.delete(id);
    if (built?.storage instanceof S3TargetStorage) built.storage.dropConnection();
    if (built) this.logger.debug?.(`Storage of target ${id} dropped: rebuilt from its definition on next use`);
  }

  /**
   * The adapter reads the definition again for each operation's settings (through the directory), so a
   * change made while an operation waits is what the next connection uses.
   */
  private build(definition: TargetDefinition): ObjectStorage {
    const id = definition.id;
    if (definition.kind === 'folder') {
      return new FolderStorage(id, `path (target '${id}')`, async () => (await this.directory.get(id)).path, this.options, {
        sweeper: this.sweeper,
        registry: this.registry,
        disk: this.disk,
      });
    }
    return new S3TargetStorage(
      id,
      definition.label,
      async () => {
        const t = await this.directory.get(id);
        return {
          accountId: '',
          endpoint: t.endpoint,
          region: t.region,
          bucket: t.bucket,
          prefix: t.prefix,
          accessKeyId: t.accessKeyId,
          secretAccessKey: t.secretAccessKey,
          names: addedTargetNames(id, t.label),
          objectLock: t.objectLock,
        };
      },
      this.options,
      this.journal,
      this.clock,
      this.meter,
    );
  }
}

/** What makes two definitions the same place to keep backups: a change to any of it needs a new adapter. */
function placeOf(t: TargetDefinition): string {
  return JSON.stringify([t.kind, t.endpoint, t.region, t.bucket, t.prefix, t.accessKeyId, t.secretAccessKey, t.path]);
}
