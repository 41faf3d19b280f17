import { Injectable } from '@nestjs/common';
import path from 'node:path';
import { backupFilename, parseBackupFilename } from '../../archive-format/backup-filename.js';
import { type BackupMetadata, type DatabaseEntry, isoSeconds, METADATA_FORMAT_VERSION } from '../../archive-format/backup-metadata.js';
import { APP_VERSION } from '../../common/app-version.js';
import type { BackupTarget } from '../../common/backup-target.js';
import { Clock } from '../../common/clock.js';
import { mapConcurrently } from '../../common/concurrency.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { InstallationIdentity } from '../../common/installation/installation-identity.js';
import { DatabaseRegistry } from '../../database/database-registry.js';
import type { ManagedDatabase } from '../../database/managed-database.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import { StorageTargets } from '../../storage/storage-targets.js';
import { ArchiveWriter } from '../archive-writer/archive-writer.js';
import { StartupRecovery } from '../startup-recovery.service.js';
import { BackupSpaceCheck } from './backup-space-check.js';
import { DatabaseSnapshotter } from './database-snapshotter.js';
import { ScratchFolders } from './scratch-folders.js';

/**
 * Two snapshots at a time, each in its own worker thread: a snapshot alternates page reads, writes and
 * the copy's SHA-256, so two overlap well on 2 cores (figures: bench/results.md, "Snapshots"). Each
 * database is still its own single point in time.
 */
const SNAPSHOTS_IN_PARALLEL = 2;
/** How many later seconds a backup's name may move to when backups of its second already exist. */
const NAME_ATTEMPTS = 60;

export type ProductionPhase = 'checking' | 'snapshotting' | 'archiving';

/** How the production reports to its job: phase changes (awaited: the job records them) and bytes done in the phase. */
export interface ProductionProgress {
  enterPhase(phase: ProductionPhase, bytesTotal: number): Promise<void>;
  bytesDone(bytes: number): void;
}

export interface ProducedArchive {
  filename: string;
  /** Bytes stored in the target. */
  size: number;
}

/**
 * Makes one backup archive in a target: the checks (databases open and intact, the start-up clean-up
 * done, the folder usable, room on the disks), consistent snapshots of every managed database in a
 * scratch folder, the metadata, a free name, and the archive streamed through the ArchiveWriter into
 * the target. Knows nothing of jobs, queues or events (BackupJobs does); its side effects go through
 * ports (DatabaseSnapshotter, ScratchFolders, BackupSpaceCheck, ArchiveWriter, ObjectStorage).
 */
@Injectable()
export class ArchiveProducer {
  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly recovery: StartupRecovery,
    private readonly storage: StorageTargets,
    private readonly space: BackupSpaceCheck,
    private readonly scratchFolders: ScratchFolders,
    private readonly snapshotter: DatabaseSnapshotter,
    private readonly writer: ArchiveWriter,
    private readonly clock: Clock,
    private readonly identity: InstallationIdentity,
  ) {}

  /**
   * The scratch folder of snapshots is gone when this settles, so a job that reads as finished, either
   * way, has left nothing behind. `signal` stops it at the next step (a running snapshot and the upload at once).
   */
  async produce(job: { id: string; target: BackupTarget }, signal: AbortSignal, progress: ProductionProgress): Promise<ProducedArchive> {
    await progress.enterPhase('checking', 0);
    const storage = this.storage.get(job.target);
    // Waits while a staged restore is applied at start; the databases are never read before that.
    await this.registry.whenOpen();
    this.registry.assertIntact();
    // And for the start-up clean-up of the target, so the space check counts what it freed.
    await untilAborted(this.recovery.whenDone(job.target), signal);
    // A folder that cannot be created is reported as that, at once (not as "0 B free").
    await storage.prepare();
    const databases = this.registry.list();
    const liveBytes = this.space.liveBytes(databases);
    await this.space.ensure(job.target, liveBytes);
    signal.throwIfAborted();

    const scratch = await this.scratchFolders.create(job.id);
    try {
      await progress.enterPhase('snapshotting', liveBytes);
      const at = this.clock.now();
      const entries = await this.snapshotAll(databases, scratch, signal, progress);
      const filename = await this.freeName(storage, at);
      const metadata: BackupMetadata = {
        timestamp: isoSeconds(parseBackupFilename(filename) ?? at),
        version: METADATA_FORMAT_VERSION,
        sentinel_version: APP_VERSION,
        databases: entries,
      };
      await progress.enterPhase('archiving', this.writer.tarBytes(metadata));
      const archive = this.writer.open({ dir: scratch, metadata }, (bytes) => progress.bytesDone(bytes));
      try {
        const stored = await storage.upload(filename, archive, { signal, maxBytes: this.writer.maxBytes(metadata), owner: this.identity.id });
        return { filename, size: stored.size };
      } finally {
        archive.destroy();
      }
    } finally {
      await this.scratchFolders.remove(scratch);
    }
  }

  /** Every database's snapshot in `scratch`, in registry order, as the metadata lists them. */
  private async snapshotAll(
    databases: readonly ManagedDatabase[],
    scratch: string,
    signal: AbortSignal,
    progress: ProductionProgress,
  ): Promise<DatabaseEntry[]> {
    let done = 0;
    return mapConcurrently(databases, SNAPSHOTS_IN_PARALLEL, async (db) => {
      signal.throwIfAborted();
      const digest = await this.snapshotter.snapshot(db, path.join(scratch, db.filename), signal).catch((error: Error) => {
        if (signal.aborted) throw error;
        throw new DomainError(
          ErrorCode.BackupFailed,
          `Cannot copy the database ${db.filename} for the backup: ${error.message}. Check that ${db.path} is readable by the service's user and that GET /api/health reports no damaged database, then run the backup again`,
          { file: db.filename },
          { cause: error },
        );
      });
      done += this.space.liveBytes([db]);
      progress.bytesDone(done);
      return { name: db.name, filename: db.filename, size_bytes: digest.bytes, checksum: `sha256:${digest.sha256}` };
    });
  }

  /** The name for a backup made at `at`; a later second when a backup of that second already exists. */
  private async freeName(storage: ObjectStorage, at: Date): Promise<string> {
    for (let offset = 0; offset < NAME_ATTEMPTS; offset++) {
      const name = backupFilename(new Date(at.getTime() + offset * 1000));
      if (!(await storage.head(name))) return name;
    }
    throw new DomainError(
      ErrorCode.Conflict,
      `Cannot find a free backup name: ${NAME_ATTEMPTS} backups already carry the names of the coming minute. Delete or move some of them, or wait a minute, then run the backup again`,
    );
  }
}

/** `work`, or the abort reason as soon as `signal` aborts (a shutdown does not wait for the start-up clean-up). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
