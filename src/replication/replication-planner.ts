import { Injectable } from '@nestjs/common';
import { BackupCatalogService } from '../backup/backup-catalog.service.js';
import { RotationService } from '../backup/rotation.service.js';
import type { BackupTarget } from '../common/backup-target.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';
import { ArchiveProvenance } from '../encryption/archive-provenance.store.js';
import type { TargetDefinition } from '../targets/target-definition.js';

/** An archive of the source the replica does not hold (yet), and why it is copied. */
export interface PlannedCopy {
  filename: string;
  sizeBytes: number;
  createdAt: Date;
  /**
   * missing: not on the replica; unverified: an archive of that name is there but was never proven a copy of
   * this one (the copier compares their bytes, and never overwrites it).
   */
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
 * What a replica is missing of its source, and of that what it would keep.
 *
 * Which backups of the source: every one except another installation's (in a shared bucket those are theirs
 * to replicate). Backups without an owner (an earlier version's, or copied in by hand) are replicated too:
 * a copy deletes nothing in the source, and a careful user expects the whole history in the second place.
 * The copy is this installation's (it made it), so the replica's rotation manages it like any other copy.
 *
 * Which of those: exactly what the replica's own rotation would keep. The retention planner runs over the
 * union of what the replica holds and what it lacks, as if every missing copy had arrived; what it would
 * delete at once is not copied (it would be copied again on every run, and deleted again by every rotation),
 * and a long-term point (keep_monthly, keep_yearly) that the replica lacks is copied because the rule keeps it.
 *
 * A copy is proven when the replication recorded it (ArchiveProvenance, after the read-back check) and the
 * object still has the recorded size; an object of that name that is not proven is handed to the copier as
 * `unverified`, which compares its bytes and never overwrites it.
 */
@Injectable()
export class ReplicationPlanner {
  constructor(
    private readonly catalog: BackupCatalogService,
    private readonly provenance: ArchiveProvenance,
    private readonly identity: InstallationIdentity,
    private readonly rotation: RotationService,
  ) {}

  async plan(source: BackupTarget, replica: TargetDefinition & { id: BackupTarget }): Promise<ReplicationPlan> {
    const all = await this.catalog.list(source); // newest first
    const held = new Map((await this.catalog.list(replica.id)).map((file) => [file.filename, file]));
    const records = await this.provenance.findAll(replica.id);
    const skipped: SkippedCopy[] = [];
    const wanted: typeof all = [];
    for (const file of all) {
      const there = held.get(file.filename);
      if (there && records.get(file.filename)?.sizeBytes === there.sizeBytes) continue; // a proven copy
      if (file.owner !== null && file.owner !== this.identity.id) {
        skipped.push({ filename: file.filename, reason: `it belongs to installation ${file.owner}: that installation replicates its own backups` });
      } else if (there && there.owner !== null && there.owner !== this.identity.id) {
        skipped.push({
          filename: file.filename,
          reason: `'${replica.id}' holds another archive of that name, of installation ${there.owner}: it is left alone`,
        });
      } else {
        wanted.push(file);
      }
    }

    // The replica's rotation after the copies: what it holds, plus each missing copy as the copy it would own.
    const candidates: Array<{ filename: string; createdAt: Date; own: boolean }> = [...held.values()].map((file) => ({
      filename: file.filename,
      createdAt: file.createdAt,
      own: file.own,
    }));
    for (const file of wanted) if (!held.has(file.filename)) candidates.push({ filename: file.filename, createdAt: file.createdAt, own: true });
    const rotation = this.rotation.planFor(candidates, replica.retention);
    const deleted = new Set(rotation.deleted);

    const copies: PlannedCopy[] = [];
    for (const file of [...wanted].reverse()) {
      if (deleted.has(file.filename)) {
        skipped.push({
          filename: file.filename,
          reason: `'${replica.id}''s rotation would delete it (${rotation.rule}, and its newest three)`,
        });
        continue;
      }
      copies.push({
        filename: file.filename,
        sizeBytes: file.sizeBytes,
        createdAt: file.createdAt,
        reason: held.has(file.filename) ? 'unverified' : 'missing',
      });
    }
    skipped.sort((a, b) => a.filename.localeCompare(b.filename));
    return { source, target: replica.id, copies, skipped };
  }
}
