import { Injectable } from '@nestjs/common';
import type { BackupMetadata } from '../../archive-format/backup-metadata.js';
import { type BackupTarget, targetLabel } from '../../common/backup-target.js';
import { Clock } from '../../common/clock.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { formatBytes } from '../../common/format.js';
import { spaceNeed } from '../../common/fs/disk-space.service.js';
import { fsyncPath, sizeOf } from '../../common/fs/durable-fs.js';
import { requireIntegrity } from '../archive-reader/database-checks.js';
import { type RestoreJournal, RestoreJournalStore } from '../restore-journal.store.js';
import { SAFETY_COPY_PURPOSE } from '../restore-paths.js';
import type { UnpackRoom } from './archive-unpacker.js';
import { DataFolderLayout } from './data-folder-layout.js';
import { PointUnpacker, type PointToUnpack } from './point-unpacker.js';

export interface StageOptions {
  /** Where the archive comes from, recorded in the journal. */
  target: BackupTarget;
  /** Recorded in the journal: the service restarts to apply it. */
  restartRequested: boolean;
  signal: AbortSignal;
  onOpened?: (archiveBytes: number) => void;
  onProgress?: (bytes: number) => void;
  /** The download and extraction are done; the integrity checks begin. */
  onChecking?: () => void;
}

/**
 * Phase 1 of the two-phase restore, on files only: unpacks an archive into a staging folder (strict,
 * fail-fast, fsynced), runs PRAGMA integrity_check on every database, and only then writes the
 * `.pending-restore` journal as `staged`, atomically: the flag exists only for a complete, verified
 * staging folder. Any failure leaves nothing behind (no folder, no flag) and never touches a live
 * database; RestoreApplier swaps the staged set in at the next start (or a command line, at once).
 */
@Injectable()
export class RestoreStager {
  constructor(
    private readonly layout: DataFolderLayout,
    private readonly unpacker: PointUnpacker,
    private readonly journals: RestoreJournalStore,
    private readonly clock: Clock,
  ) {}

  async stage(archive: PointToUnpack, options: StageOptions): Promise<RestoreJournal> {
    const { signal } = options;
    const existing = await this.journals.read();
    if (existing) {
      throw new DomainError(
        ErrorCode.RestoreInProgress,
        `A restore of ${existing.archive} (${targetLabel(existing.target)}) is already staged (since ${existing.staged_at}) and will be applied at the next start. ` +
          `Cancel it first with DELETE /api/backups/${existing.target}/restore/staged`,
        { archive: existing.archive, target: existing.target },
      );
    }
    const unpacked = await this.unpacker.unpack(archive, {
      purpose: 'staging',
      room: (archiveBytes, metadata) => this.room(archive.name, archiveBytes, metadata),
      signal,
      onOpened: options.onOpened,
      onProgress: options.onProgress,
    });
    try {
      options.onChecking?.();
      await requireIntegrity(unpacked.databases, signal);
      await fsyncPath(unpacked.dir);
      signal.throwIfAborted();
      const journal: RestoreJournal = {
        format: 1,
        state: 'staged',
        archive: archive.name,
        target: options.target,
        staging_dir: unpacked.dir,
        staged_at: this.clock.now().toISOString(),
        backup_timestamp: unpacked.metadata.timestamp,
        backup_sentinel_version: String(unpacked.metadata.sentinel_version ?? ''),
        restart_requested: options.restartRequested,
        databases: unpacked.databases.map((db) => ({ name: db.name, filename: db.filename, size_bytes: db.sizeBytes, checksum: db.expectedChecksum })),
      };
      // Written last and atomically: from here on the staging folder is the journal's, not a work folder to remove.
      await this.journals.write(journal);
      return journal;
    } catch (error) {
      await unpacked.discard();
      throw signal.aborted ? signal.reason : error;
    }
  }

  /**
   * Staging needs room for the staged databases now and, at the apply, for the safety copy of the
   * current ones; the spec's rule of thumb (twice the largest database plus the archive) is the floor.
   * Before the metadata is read, the archive's size stands in for the staged databases.
   *
   * The safety copy is counted as the apply will ask for it (spaceNeed: its size plus the margin), and
   * the unpacker adds the margin once more for the staging itself: so once the staged files are
   * written, the apply's check still finds its margin free, and the databases may grow by up to a
   * margin before the restart without the restore being withdrawn for want of space.
   */
  private async room(archive: string, archiveBytes: number, metadata?: BackupMetadata): Promise<UnpackRoom> {
    const live: number[] = [];
    for (const db of this.layout.databases) live.push((await sizeOf(db.path)) + (await sizeOf(`${db.path}-wal`)));
    const stagedSizes = metadata?.databases.map((db) => db.size_bytes) ?? [];
    const largest = Math.max(0, ...live, ...stagedSizes);
    const staged = metadata ? stagedSizes.reduce((a, b) => a + b, 0) : archiveBytes;
    const safety = live.reduce((a, b) => a + b, 0);
    const apply = spaceNeed(this.layout.dataDir, safety, SAFETY_COPY_PURPOSE).bytes;
    return {
      bytes: Math.max(2 * largest + archiveBytes, staged + apply),
      purpose: `the restore of ${archive}`,
      refusal: ({ dir, needed, free }) =>
        `Not enough free disk space in ${dir} to restore ${archive}: ${formatBytes(needed)} needed ` +
        `(${formatBytes(staged)} for the staged databases and ${formatBytes(safety)} for the safety copy of the current ones made when it is applied; ` +
        `at least twice the largest database plus the archive, with a margin), ${formatBytes(free)} available. Free up space there and try again`,
    };
  }
}
