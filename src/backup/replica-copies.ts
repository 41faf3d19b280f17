import { Injectable, Logger } from '@nestjs/common';
import { type BackupTarget, isBackupTarget } from '../common/backup-target.js';
import { ArchiveProvenance } from '../encryption/archive-provenance.store.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { TargetDirectory } from '../targets/target-directory.js';

/**
 * How long the source's list waits for a replica's: an unreachable replica (its requests retried and timed
 * out) must not hold up the list of a source that answers, which then names it in `unknown`.
 */
const REPLICA_LIST_LIMIT_MS = 10_000;

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
  /** Per backup: the replicas holding a checked copy of it (recorded by the replication, same size now). */
  copiesOf(filename: string): string[];
  /** Replicas whose contents could not be read now (unreachable): nothing is known of their copies. */
  unknown: string[];
}

/**
 * Where a target's backups have been replicated: for each replica, the copies the replication checked on
 * arrival and recorded (ArchiveProvenance), that the replica still holds with that size. A replica that
 * cannot be listed is named as unknown rather than failing the source's list.
 */
@Injectable()
export class ReplicaCopies {
  private readonly logger = new Logger('Backup');

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
    const replicas = targets.filter((t) => t.replicateFrom === source && isBackupTarget(t.id)).map((t) => t.id as BackupTarget);
    const held = new Map<string, string[]>();
    const unknown: string[] = [];
    for (const replica of replicas) {
      try {
        const objects = await within(
          REPLICA_LIST_LIMIT_MS,
          this.storage.get(replica).then((storage) => storage.list('sentinel-backup-')),
        );
        const records = await this.provenance.findAll(replica);
        for (const object of objects) {
          if (records.get(object.key)?.sizeBytes !== object.size) continue;
          held.set(object.key, [...(held.get(object.key) ?? []), replica]);
        }
      } catch (error) {
        unknown.push(replica);
        this.logger.warn(`Cannot list the replica ${replica} of ${source}: ${(error as Error).message}`);
      }
    }
    return { replicas, unknown, copiesOf: (filename) => held.get(filename) ?? [] };
  }
}
