import { Injectable } from '@nestjs/common';
import type { BackupKind } from '../archive-format/backup-filename.js';
import { chainLinks } from '../archive-format/chain-links.js';
import { BackupCatalogService, type ListedBackup } from '../backup/backup-catalog.service.js';
import { RotationService } from '../backup/rotation.service.js';
import type { BackupTarget } from '../common/backup-target.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';
import { ArchiveProvenance, isRecordedCopy } from '../encryption/archive-provenance.store.js';
import type { TargetDefinition } from '../targets/target-definition.js';

/** An archive of the source the replica does not hold (yet), and why it is copied. */
/** A backup as the replica's rotation plans it (with its chain). */
type RetentionCandidate = Parameters<RotationService['planFor']>[0][number];

export interface PlannedCopy {
  filename: string;
  sizeBytes: number;
  createdAt: Date;
  /**
   * missing: not on the replica; unverified: an archive of that name is there but was never proven a copy of
   * this one (the copier compares their bytes, and never overwrites it).
   */
  reason: 'missing' | 'unverified';
  kind: BackupKind;
  /** An increment's full backup and the point before it (from the source's record); null for a full backup. */
  base: string | null;
  parent: string | null;
  /**
   * The points an increment is restored through, its parent first and its full backup last (as far as the
   * records tell); empty for a full backup. The job copies it only when none of them failed to arrive.
   */
  links: string[];
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
  /** Of `skipped`, the increments not copied because their chain would not arrive whole (each logged by the job). */
  unchained: SkippedCopy[];
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
 * Chains arrive whole and in order (docs/incremental-backups.md): an increment is copied only when every point
 * it is restored through (its parent, the parent's parent, and so on to its full backup) is in the replica already
 * (a proven copy, or one to be checked) or is copied before it in the same run (oldest first, and a chain's points
 * are older than its increments). An increment whose chain the source cannot give (no record of its base and
 * parent, or a point no longer there) or one of whose points is not copied is skipped with the reason: the
 * replica never holds an increment it cannot restore. The replica's rotation is planned with every point's chain,
 * so it keeps what a kept increment needs, as its own rotation will.
 *
 * A copy is proven by the SHA-256 recorded, never by the size alone (isRecordedCopy): the replica's record of
 * it (made after the read-back check) still names the object stored there (size and stored version: ETag, or a
 * file's size and mtime) and has the SHA-256 of the source's record of the archive. Nothing is read for that, so
 * a sync of a large replica costs two listings, not a download of what it holds. An object of that name that is
 * not proven (no record, a record of other bytes, or another object put there since) is handed to the copier as
 * `unverified`, which hashes it, counts it as the copy when its bytes are the source's, and never overwrites it.
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
    const [records, sourceRecords] = await Promise.all([this.provenance.findAll(replica.id), this.provenance.findAll(source)]);
    const skipped: SkippedCopy[] = [];
    const wanted: typeof all = [];
    for (const file of all) {
      const there = held.get(file.filename);
      if (there && isRecordedCopy(records.get(file.filename), there, { sizeBytes: file.sizeBytes, record: sourceRecords.get(file.filename) })) continue;
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

    const unchained: SkippedCopy[] = [];
    const inSource = new Map(all.map((file) => [file.filename, file]));
    // An increment's points: from the source's records, else (a point gone from the source) from the replica's.
    const linksOf = (file: ListedBackup) => (file.kind === 'incremental' ? chainLinks(file, (name) => (inSource.get(name) ?? held.get(name))?.parent) : []);
    const chained = this.wholeChains(source, replica.id, wanted, held, new Set(inSource.keys()), linksOf, skipped, unchained);

    // The replica's rotation after the copies: what it holds, plus each missing copy as the copy it would own,
    // each with its chain (a copy's from the source's record, which the copy's record will carry).
    const candidates = new Map<string, RetentionCandidate>();
    for (const file of held.values())
      candidates.set(file.filename, {
        filename: file.filename,
        createdAt: file.createdAt,
        own: file.own,
        kind: file.kind,
        base: file.base,
        parent: file.parent,
      });
    for (const file of chained) {
      const own = held.get(file.filename)?.own ?? true;
      candidates.set(file.filename, { filename: file.filename, createdAt: file.createdAt, own, kind: file.kind, base: file.base, parent: file.parent });
    }
    const rotation = this.rotation.planFor([...candidates.values()], replica.retention);
    const deleted = new Set(rotation.deleted);

    const copies: PlannedCopy[] = [];
    for (const file of chained) {
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
        kind: file.kind,
        base: file.base,
        parent: file.parent,
        links: linksOf(file),
      });
    }
    skipped.sort((a, b) => a.filename.localeCompare(b.filename));
    return { source, target: replica.id, copies, skipped, unchained };
  }

  /**
   * Of `wanted` (newest first), oldest first, those whose chain arrives whole: a full backup, or an increment each
   * of whose points (`linksOf`) is in the replica (not another installation's archive of that name) or passes
   * before it. The others are added to `skipped` and `unchained` with why.
   */
  private wholeChains(
    source: BackupTarget,
    replica: BackupTarget,
    wanted: readonly ListedBackup[],
    held: ReadonlyMap<string, ListedBackup>,
    inSource: ReadonlySet<string>,
    linksOf: (file: ListedBackup) => string[],
    skipped: SkippedCopy[],
    unchained: SkippedCopy[],
  ): ListedBackup[] {
    const refusedHere = new Set(skipped.map((s) => s.filename));
    const arriving = new Set<string>();
    const present = (name: string) => arriving.has(name) || (held.has(name) && !refusedHere.has(name));
    const out: ListedBackup[] = [];
    for (const file of [...wanted].reverse()) {
      const gap = file.kind === 'incremental' ? chainGap(file, linksOf(file), source, replica, inSource, present) : null;
      if (gap) {
        const skip = { filename: file.filename, reason: `${gap}: copied alone it could not be restored from '${replica}', so it is not copied` };
        skipped.push(skip);
        unchained.push(skip);
        continue;
      }
      arriving.add(file.filename);
      out.push(file);
    }
    return out;
  }
}

/** Why the increment `file` cannot arrive with its chain, or null when every point of it (`links`) is (or will be) in the replica. */
function chainGap(
  file: ListedBackup,
  links: readonly string[],
  source: BackupTarget,
  replica: BackupTarget,
  inSource: ReadonlySet<string>,
  present: (name: string) => boolean,
): string | null {
  if (!file.base || !file.parent) return `'${source}' has no record of the chain of this increment (its full backup and the point before it)`;
  for (const name of links) {
    const role = name === file.parent ? 'parent' : name === file.base ? 'full backup' : 'earlier increment';
    if (present(name)) continue;
    return inSource.has(name)
      ? `its ${role} ${name} is not copied (see its own reason)`
      : `its ${role} ${name} is neither in '${source}' any more nor in '${replica}'`;
  }
  return null;
}
