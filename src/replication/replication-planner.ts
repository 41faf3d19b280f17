import { Injectable } from '@nestjs/common';
import { ageInDays, BackupCatalogService } from '../backup/backup-catalog.service.js';
import type { BackupTarget } from '../common/backup-target.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';
import { ArchiveProvenance } from '../encryption/archive-provenance.store.js';
import { StorageTargets } from '../storage/storage-targets.js';
import type { TargetDefinition } from '../targets/target-definition.js';

/** An archive of the source the replica does not hold (yet), and why it is copied. */
export interface PlannedCopy {
  filename: string;
  sizeBytes: number;
  createdAt: Date;
  /** missing: not on the replica; unverified: there, but never proven a whole copy (a copy a kill -9 cut short). */
  reason: 'missing' | 'unverified';
}

/** An archive of the source that is not copied, and why. */
export interface SkippedCopy {
  filename: string;
  reason: string;
}

export interface ReplicationPlan {
  source: BackupTarget;
  target: BackupTarget;
  /** Oldest first: the order they are copied in. */
  copies: PlannedCopy[];
  skipped: SkippedCopy[];
}

/**
 * What a replica is missing of its source: the source's archives that are this installation's own (another
 * installation's backups in a shared bucket are theirs to replicate), and that the replica holds no proven
 * copy of. A copy is proven when the replication recorded it (ArchiveProvenance, after the read-back check)
 * and the object still has the recorded size.
 */
@Injectable()
export class ReplicationPlanner {
  constructor(
    private readonly catalog: BackupCatalogService,
    private readonly storage: StorageTargets,
    private readonly provenance: ArchiveProvenance,
    private readonly identity: InstallationIdentity,
  ) {}

  async plan(source: BackupTarget, replica: TargetDefinition & { id: BackupTarget }): Promise<ReplicationPlan> {
    const backups = (await this.catalog.list(source)).filter((file) => file.owner === this.identity.id);
    const storage = await this.storage.get(replica.id);
    const present = new Map((await storage.list('sentinel-backup-')).map((object) => [object.key, object]));
    const records = await this.provenance.findAll(replica.id);
    const unproven = backups.map((file) => present.get(file.filename)).filter((o) => o !== undefined && records.get(o.key)?.sizeBytes !== o.size);
    const owners = unproven.length > 0 ? await storage.owners(unproven.map((o) => o!)) : new Map<string, string | null>();
    const retentionDays = replica.retention.retentionDays;
    const copies: PlannedCopy[] = [];
    const skipped: SkippedCopy[] = [];
    for (const file of [...backups].reverse()) {
      const there = present.get(file.filename);
      if (there && records.get(file.filename)?.sizeBytes === there.size) continue;
      if (there && owners.get(file.filename) !== this.identity.id) {
        skipped.push({
          filename: file.filename,
          reason: `'${replica.id}' holds another archive of that name that this installation did not copy there: it is left alone`,
        });
        continue;
      }
      // The replica's rotation would delete it again at once (it keeps its own newest three, which this is not).
      if (!there && retentionDays > 0 && ageInDays(file) > retentionDays) {
        skipped.push({ filename: file.filename, reason: `older than '${replica.id}''s retention of ${retentionDays} days: its rotation would delete it` });
        continue;
      }
      copies.push({ filename: file.filename, sizeBytes: file.sizeBytes, createdAt: file.createdAt, reason: there ? 'unverified' : 'missing' });
    }
    return { source, target: replica.id, copies, skipped };
  }
}
