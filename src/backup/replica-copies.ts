import { Injectable, Logger } from '@nestjs/common';
import { type BackupTarget, isBackupTarget } from '../common/backup-target.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { ArchiveProvenance, isRecordedCopy, type WrittenArchive } from '../encryption/archive-provenance.store.js';
import { BACKUP_NAME_PREFIX } from '../archive-format/backup-filename.js';
import { chainLinks } from '../archive-format/chain-links.js';
import { objectVersion } from '../storage/object-storage.js';
import { SettingsChangedEvent } from '../settings/settings-changed.event.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { TargetDirectory } from '../targets/target-directory.js';
import { TargetsChangedEvent } from '../targets/targets-changed.event.js';
import { BackupCompletedEvent, RotationCompletedEvent } from './backup.events.js';

/**
 * How long the source's list waits for a replica's: an unreachable replica (its requests retried and timed
 * out) must not hold up the list of a source that answers, which then names it in `unknown`.
 */
const REPLICA_LIST_LIMIT_MS = 10_000;

/**
 * How long an S3 replica's listing is reused for the source's list. Changes the service makes are seen at once
 * (below); only a change made by hand in the bucket (a copy deleted in the store's console) waits this long.
 */
const REPLICA_LIST_TTL_MS = 60_000;

/** An object as listed: its size and what identifies its stored version (objectVersion). */
interface ListedObject {
  sizeBytes: number;
  version: string;
}

/** One replica's archives as last listed (by name), and the provenance records there were then. */
interface ListedReplica {
  objects: Map<string, ListedObject>;
  recorded: Set<string>;
  at: number;
}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  work.catch(() => undefined); // a listing that fails after the limit was reported already
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** On which replicas each backup of a target is, as the backup list shows it. */
export interface ReplicaState {
  /** The targets that replicate from this one (their replicate_from names it). */
  replicas: string[];
  /** Per backup: the replicas holding a checked copy of it (isRecordedCopy), and for an increment of every point it is restored through. */
  copiesOf(filename: string): string[];
  /** Replicas whose contents could not be read now (unreachable): nothing is known of their copies. */
  unknown: string[];
}

/**
 * Where a target's backups have been replicated: for each replica, the copies the replication checked on
 * arrival and recorded (ArchiveProvenance) that the replica still holds as recorded and that have the SHA-256
 * of the source's record (isRecordedCopy: an object of the same size put under the name since, or a record of
 * other bytes, is no copy). An increment counts only when every point it is restored through (its chain, as the
 * copy's record carries it) is a copy there too: one it could not be restored from is no copy of it. A replica
 * that cannot be listed is named as unknown rather than failing the source's list.
 *
 * Each replica's listing is kept for a while: the page reads the list often, and listing every replica of a
 * large bucket on each read costs requests and seconds. What the service itself changes is never hidden by it:
 * a new copy adds a provenance record, and a listing taken before that record is not reused; a copy the
 * service deleted has its record forgotten, so its stale entry counts for nothing; and a backup, rotation,
 * replication or change of targets and settings drops the kept listings at once.
 */
@Injectable()
export class ReplicaCopies {
  private readonly logger = new Logger('Backup');
  private readonly listed = new Map<BackupTarget, ListedReplica>();

  constructor(
    private readonly directory: TargetDirectory,
    private readonly storage: StorageTargets,
    private readonly provenance: ArchiveProvenance,
  ) {}

  async of(source: BackupTarget): Promise<ReplicaState> {
    let targets: Awaited<ReturnType<TargetDirectory['list']>>;
    try {
      targets = await this.directory.list();
    } catch (error) {
      // The list of targets needs config.db; when it is damaged, the source's backups must still be listed (to restore one).
      this.logger.warn(`Cannot tell which targets replicate ${source}, so no replica is shown: ${(error as Error).message}`);
      return { replicas: [], unknown: [], copiesOf: () => [] };
    }
    const replicaTargets = targets.filter((t) => t.replicateFrom === source && isBackupTarget(t.id));
    const replicas = replicaTargets.map((t) => t.id as BackupTarget);
    // A folder is listed by one readdir, so its listing is always fresh (a copy deleted by hand shows at once); only
    // an S3 store's listing, which costs requests and seconds, is kept for a while.
    const cacheable = new Set(replicaTargets.filter((t) => t.kind === 's3').map((t) => t.id));
    const held = new Map<string, string[]>();
    const unknown: string[] = [];
    for (const replica of replicas) {
      try {
        const sourceRecords = await this.provenance.findAll(source);
        const records = await this.provenance.findAll(replica);
        const objects = await this.listing(replica, records, cacheable.has(replica));
        for (const key of recordedCopies(objects, records, sourceRecords)) held.set(key, [...(held.get(key) ?? []), replica]);
      } catch (error) {
        unknown.push(replica);
        this.logger.warn(`Cannot list the replica ${replica} of ${source}: ${(error as Error).message}`);
      }
    }
    return { replicas, unknown, copiesOf: (filename) => held.get(filename) ?? [] };
  }

  /** Drops the kept listings: what a target holds, or which targets replicate which, may have changed. */
  @OnDomainEvent(BackupCompletedEvent)
  @OnDomainEvent(RotationCompletedEvent)
  @OnDomainEvent(TargetsChangedEvent)
  @OnDomainEvent(SettingsChangedEvent)
  forgetListings(): void {
    this.listed.clear();
  }

  /** The replica's archives by name: the kept listing while it is recent and no copy was recorded since, else a new one. */
  private async listing(replica: BackupTarget, records: Map<string, unknown>, mayKeep: boolean): Promise<Map<string, ListedObject>> {
    const kept = mayKeep ? this.listed.get(replica) : undefined;
    if (kept && Date.now() - kept.at < REPLICA_LIST_TTL_MS && [...records.keys()].every((key) => kept.recorded.has(key))) return kept.objects;
    const recorded = new Set(records.keys());
    const objects = await within(
      REPLICA_LIST_LIMIT_MS,
      this.storage.get(replica).then((storage) => storage.list(BACKUP_NAME_PREFIX)),
    );
    const listed = new Map(objects.map((object) => [object.key, { sizeBytes: object.size, version: objectVersion(object) }]));
    if (mayKeep) this.listed.set(replica, { objects: listed, recorded, at: Date.now() });
    return listed;
  }
}

/**
 * Of a replica's objects, the names of those that are checked copies of the source's archives (isRecordedCopy;
 * the source's size is its record's, or the copy's when the source has none), increments only with their chain.
 */
function recordedCopies(
  objects: ReadonlyMap<string, ListedObject>,
  records: ReadonlyMap<string, WrittenArchive>,
  sourceRecords: ReadonlyMap<string, WrittenArchive>,
): string[] {
  const copies = new Set(
    [...objects]
      .filter(([key, stored]) => isRecordedCopy(records.get(key), stored, { sizeBytes: stored.sizeBytes, record: sourceRecords.get(key) }))
      .map(([key]) => key),
  );
  return [...copies].filter((key) => chainLinks(records.get(key)!, (name) => records.get(name)?.parent).every((link) => copies.has(link)));
}
