import { Injectable } from '@nestjs/common';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { type BackupKind, backupFilenameOfKind, parseBackupFilename } from '../../archive-format/backup-filename.js';
import { type BackupMetadata, type DatabaseEntry, isoSeconds, METADATA_FORMAT_VERSION } from '../../archive-format/backup-metadata.js';
import type { IncrementalMetadata } from '../../archive-format/incremental-metadata.js';
import { APP_VERSION } from '../../common/app-version.js';
import { type BackupTarget, targetLabel } from '../../common/backup-target.js';
import { Clock } from '../../common/clock.js';
import { mapConcurrentlyLargestFirst } from '../../common/concurrency.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { InstallationIdentity } from '../../common/installation/installation-identity.js';
import { DatabaseRegistry } from '../../database/database-registry.js';
import { ArchiveEncryption } from '../../encryption/archive-encryption.service.js';
import { ArchiveProvenance } from '../../encryption/archive-provenance.store.js';
import type { ManagedDatabase } from '../../database/managed-database.js';
import type { FileDigest } from '../../database/sqlite-snapshot.js';
import { ObjectExists } from '../../storage/object-exists.error.js';
import { objectVersion, type ObjectStorage, type StoredObject } from '../../storage/object-storage.js';
import { StorageTargets } from '../../storage/storage-targets.js';
import type { ArchiveWriteContext } from '../archive-writer/archive-write-step.js';
import { type ArchiveContents, ArchiveWriter } from '../archive-writer/archive-writer.js';
import { type ChainPlan, type IncrementDraft, IncrementalProduction, type PointDatabase } from '../incremental-production/incremental-production.js';
import { StartupRecovery } from '../startup-recovery.service.js';
import { NAME_ATTEMPTS, secondIsFree } from './backup-names.js';
import { BackupSpaceCheck } from './backup-space-check.js';
import { DatabaseSnapshotter } from './database-snapshotter.js';
import { ScratchFolders } from './scratch-folders.js';

/**
 * Two snapshots at a time, each in its own worker thread: a snapshot alternates page reads, writes and
 * the copy's SHA-256, so two overlap well on 2 cores (figures: bench/results.md, "Snapshots"). Each
 * database is still its own single point in time.
 */
const SNAPSHOTS_IN_PARALLEL = 2;

/** An archive's contents whose metadata is made for the time of the name it is stored under. */
type ArchiveContentsOfTime = Omit<ArchiveContents, 'metadata'> & { metadata: (timestamp: string) => ArchiveContents['metadata'] };

export type ProductionPhase = 'checking' | 'snapshotting' | 'archiving';

/** How the production reports to its job: phase changes (awaited: the job records them) and bytes done in the phase. */
export interface ProductionProgress {
  enterPhase(phase: ProductionPhase, bytesTotal: number): Promise<void>;
  bytesDone(bytes: number): void;
  /**
   * The archive about to be stored, recorded (awaited) before its upload starts: a kill between the
   * finished upload and its provenance record then leaves a name the next start can look up (StartupRecovery).
   */
  willStore?(intent: { filename: string; encrypted: boolean; recipients: string[] | null }): Promise<void>;
  /**
   * The kind of backup being made, on a target with incremental backups on (awaited: the job records and logs it):
   * once before the snapshots, and again when comparing them turns an increment into a full backup.
   */
  kindChosen?(choice: KindChoice): Promise<void>;
}

/** A backup's kind, and why it is full when an increment could have been made (null otherwise). */
export interface KindChoice {
  kind: BackupKind;
  /** Shown by the API (the job's `kind_reason`): never a server path. */
  reason: string | null;
  /** The same reason for the log when it says more (the page index's files); `reason` otherwise. */
  logReason?: string;
}

export interface ProducedArchive {
  filename: string;
  /** Bytes stored in the target. */
  size: number;
  /** SHA-256 (hex) of the bytes stored in the target (after encryption, when encrypted). */
  sha256: string;
  /** Whether it was encrypted with age (`.tar.gz.age`). */
  encrypted: boolean;
  /** The age recipients it was encrypted to; null when plain. */
  recipients: string[] | null;
  kind: BackupKind;
  /** Why it is a full backup where an increment could have been made; null otherwise (and always when the target's policy is off). */
  kindReason: string | null;
  /** An increment's chain: its full backup and the point it was compared with; null for a full backup. */
  base: string | null;
  parent: string | null;
}

/**
 * Makes one backup archive in a target: the checks (databases open and intact, the start-up clean-up
 * done, the folder usable, room on the disks), consistent snapshots of every managed database in a
 * scratch folder, the metadata, a free name, the archive streamed through the ArchiveWriter into the
 * target (encrypted to the target's recipients when encryption is on for it), and the record of what
 * was stored (ArchiveProvenance). Knows nothing of jobs, queues or events (BackupJobs does); its side
 * effects go through ports (DatabaseSnapshotter, ScratchFolders, BackupSpaceCheck, ArchiveWriter,
 * ObjectStorage, ArchiveEncryption, ArchiveProvenance).
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
    private readonly encryption: ArchiveEncryption,
    private readonly provenance: ArchiveProvenance,
    private readonly chains: IncrementalProduction,
  ) {}

  /**
   * The scratch folder of snapshots is gone when this settles, so a job that reads as finished, either
   * way, has left nothing behind. `signal` stops it at the next step (a running snapshot and the upload at once).
   * `job.requestedKind` is the kind asked for (`POST /api/backups/{target}`'s body); without it the target's policy decides.
   */
  async produce(
    job: { id: string; target: BackupTarget; requestedKind?: BackupKind },
    signal: AbortSignal,
    progress: ProductionProgress,
  ): Promise<ProducedArchive> {
    await progress.enterPhase('checking', 0);
    const storage = await this.storage.get(job.target);
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
    // Asked once: the chain's plan (a chain keeps one set of keys), the name, the write step and the records all follow the same answer.
    const recipients = await this.encryption.recipientsFor(job.target);
    const encrypted = recipients !== undefined && recipients.length > 0;
    const plan = await this.chains.plan(job.target, job.requestedKind, storage, encrypted ? recipients : null, job.id);
    try {
      return await this.produceAs(job, plan, recipients, databases, liveBytes, storage, signal, progress);
    } finally {
      this.chains.release(plan);
    }
  }

  private async produceAs(
    job: { id: string; target: BackupTarget },
    plan: ChainPlan,
    recipients: Awaited<ReturnType<ArchiveEncryption['recipientsFor']>>,
    databases: readonly ManagedDatabase[],
    liveBytes: number,
    storage: ObjectStorage,
    signal: AbortSignal,
    progress: ProductionProgress,
  ): Promise<ProducedArchive> {
    const encrypted = recipients !== undefined && recipients.length > 0;
    let chosen: KindChoice = { kind: plan.kind, reason: plan.reason, logReason: plan.kind === 'full' && plan.pageStable ? plan.logReason : undefined };
    if (plan.pageStable) await progress.kindChosen?.(chosen);

    const scratch = await this.scratchFolders.create(job.id);
    let copiesRemoved: Promise<void> | undefined;
    try {
      await progress.enterPhase('snapshotting', liveBytes);
      const at = this.clock.now();
      let contents: ArchiveContentsOfTime;
      let snapshots: Map<string, PointDatabase> | undefined;
      let increment: IncrementDraft | undefined;
      if (!plan.pageStable) {
        const entries = await this.snapshotAll(databases, scratch, signal, progress, (db, dest) => this.snapshotter.snapshot(db, dest, signal));
        contents = fullContents(scratch, entries);
      } else {
        snapshots = new Map();
        // compare: the increment's pages are found as each snapshot is hashed.
        const read = async (dbs: readonly ManagedDatabase[], compare: boolean, done: number) =>
          this.snapshotAll(
            dbs,
            scratch,
            signal,
            progress,
            async (db) => {
              const snapshot = await this.chains.snapshot(db, scratch, signal, compare && plan.kind === 'incremental' ? plan : undefined);
              snapshots!.set(db.name, snapshot);
              return { bytes: snapshot.bytes, sha256: snapshot.sha256 };
            },
            done,
          );
        // An increment does not read the databases nobody wrote to since the chain's newest point.
        const carried =
          plan.kind === 'incremental'
            ? this.chains.carriedOver(`${targetLabel(job.target)} backup (job ${job.id})`, job.target, plan, databases)
            : new Map<string, PointDatabase>();
        for (const [name, db] of carried) snapshots.set(name, db);
        const unread = (db: ManagedDatabase) => carried.has(db.name);
        await read(
          databases.filter((db) => !unread(db)),
          true,
          this.space.liveBytes(databases.filter(unread)),
        );
        if (plan.kind === 'incremental') {
          const draft = await this.chains.increment(plan, databases, snapshots, scratch, signal);
          if (typeof draft === 'string') {
            // The same snapshots make the full backup: nothing is read twice. Those not read are read now.
            chosen = { kind: 'full', reason: draft };
            await progress.kindChosen?.(chosen);
            await read(databases.filter(unread), false, this.space.liveBytes(databases.filter((db) => !unread(db))));
          } else {
            increment = draft;
            // An increment's archive holds its pages files, not the copies, and a gigabyte of copies takes about as
            // long to unlink as a small increment takes to write: they go while it is written, not after it.
            copiesRemoved = this.scratchFolders.removeFiles([...snapshots.values()].flatMap((snapshot) => (snapshot.file ? [snapshot.file] : [])));
          }
        }
        // The snapshot threads would otherwise idle through the start of the archive, beside its own thread.
        await this.chains.pageWorkDone();
        contents = increment
          ? incrementContents(scratch, increment)
          : fullContents(
              scratch,
              databases.map((db) => databaseEntryOf(db, snapshots!.get(db.name)!)),
            );
      }
      if (chosen.kind === 'full') await this.startNewChain(job.target);
      const context: ArchiveWriteContext = { target: job.target, recipients: encrypted ? recipients : undefined };
      let filename = await this.freeName(storage, chosen.kind, nameFrom(at, chosen.kind === 'incremental' ? plan : undefined), encrypted);
      let stored: StoredObject | undefined;
      let archive!: ReturnType<ArchiveWriter['open']>;
      // Stores never replace an archive: a name taken between the choice and the end of the upload (a copy
      // replicated into this target in the same second) is left to its writer, and this archive is written
      // again, from the same snapshots, under the next free second: the spec's names are to the second, and
      // a later second is what the name would say had the backup started a moment later. Waiting instead
      // would hold the backup behind a copy of unknown length.
      for (let attempt = 0; !stored; attempt++) {
        const written: ArchiveContents = { ...contents, metadata: contents.metadata(isoSeconds(parseBackupFilename(filename) ?? at)) };
        await progress.willStore?.({ filename, encrypted, recipients: encrypted ? [...recipients] : null });
        await progress.enterPhase('archiving', this.writer.tarBytes(written));
        archive = this.writer.open(written, context, (bytes) => progress.bytesDone(bytes));
        try {
          stored = await storage.upload(filename, archive, {
            signal,
            maxBytes: this.writer.maxBytes(written, context),
            owner: this.identity.id,
            recipients: context.recipients,
          });
        } catch (error) {
          if (!(error instanceof ObjectExists) || attempt + 1 >= NAME_ATTEMPTS) throw error;
          const taken = parseBackupFilename(filename) ?? at;
          filename = await this.freeName(storage, chosen.kind, new Date(taken.getTime() + 1000), encrypted);
        } finally {
          // The scratch folder is removed next: the archive's worker must have stopped reading it first.
          await closed(archive);
        }
      }
      const digest = archive.digest;
      if (!digest || digest.bytes !== stored.size) {
        // The target stored other bytes than the writer produced: never record (or report) such an archive as made here.
        const discarded = await discardStored(storage, filename);
        throw new DomainError(
          ErrorCode.BackupFailed,
          `The ${filename} stored holds ${stored.size} bytes where ${digest?.bytes ?? 'an unfinished stream of'} bytes were written; ${discarded}. Run the backup again`,
          { filename },
        );
      }
      if (plan.kind === 'incremental' && increment) await this.assertChainWhole(job.target, plan, filename, storage);
      const produced: ProducedArchive = {
        filename,
        size: stored.size,
        sha256: digest.sha256,
        encrypted,
        recipients: encrypted ? [...recipients] : null,
        kind: chosen.kind,
        kindReason: chosen.reason,
        base: increment?.base ?? null,
        parent: increment?.parent ?? null,
      };
      await this.record(job.target, produced, storage, objectVersion(stored), plan.pageStable);
      // Only now, with the archive stored and recorded, does the page index move to it.
      if (snapshots)
        await this.chains.advance(job.target, produced, snapshots, plan.kind === 'incremental' && increment ? { plan, draft: increment } : undefined);
      return produced;
    } finally {
      await copiesRemoved;
      await this.scratchFolders.remove(scratch);
    }
  }

  /** A full backup is about to be stored: the page index of the chain it replaces goes first (IncrementalProduction.startNewChain). */
  private async startNewChain(target: BackupTarget): Promise<void> {
    try {
      await this.chains.startNewChain(target);
    } catch (error) {
      throw new DomainError(
        ErrorCode.BackupFailed,
        `Cannot start a new chain for this full backup: ${(error as Error).message}, then run the backup again. Nothing was stored`,
        undefined,
        { cause: error },
      );
    }
  }

  /**
   * The increment just stored as `filename` restores only with every link of its chain: when one went while it was
   * made, it is deleted (this job's own, just stored under a free name, and recorded nowhere yet) rather than left as
   * a point no restore can rebuild, the page index goes too, so the next backup is a full one, and the job fails
   * saying which link went. Keeping it instead would list a restorable point that is not one.
   */
  private async assertChainWhole(
    target: BackupTarget,
    plan: Extract<ChainPlan, { kind: 'incremental' }>,
    filename: string,
    storage: ObjectStorage,
  ): Promise<void> {
    const missing = await this.chains.missingLinks(plan, storage).catch(async (error: Error) => {
      // Unchecked is not whole: the increment goes (its chain is kept, and so is the page index: nothing was lost
      // that is known of), rather than stay in the target, recorded nowhere, as a point nobody checked.
      const discarded = await discardStored(storage, filename);
      throw new DomainError(
        ErrorCode.BackupFailed,
        `Cannot check that the chain of this increment is still whole in the target (${error.message}), so ${discarded}. ` +
          'Check that the target is reachable (GET /api/health), then run the backup again',
        { filename },
        { cause: error },
      );
    });
    if (missing.length === 0) return;
    const discarded = await discardStored(storage, filename);
    const index = await this.chains.startNewChain(target).then(
      () => 'the page index was removed, so the next backup is a full one',
      (error: Error) => `${error.message} before the next backup`,
    );
    throw new DomainError(
      ErrorCode.BackupFailed,
      `The chain this increment was made on lost ${missing.join(', ')} while it was being made: the increment could not be restored, so ${discarded} and ${index}. ` +
        'Run the backup again (it makes a full backup)',
      { filename, missing },
    );
  }

  /** Every database's snapshot in `scratch`, in registry order, as the metadata lists them (copied largest first). */
  private async snapshotAll(
    databases: readonly ManagedDatabase[],
    scratch: string,
    signal: AbortSignal,
    progress: ProductionProgress,
    copy: (db: ManagedDatabase, dest: string) => Promise<FileDigest>,
    done = 0,
  ): Promise<DatabaseEntry[]> {
    return mapConcurrentlyLargestFirst(
      databases,
      SNAPSHOTS_IN_PARALLEL,
      (db) => this.space.liveBytes([db]),
      async (db) => {
        signal.throwIfAborted();
        const digest = await copy(db, path.join(scratch, db.filename)).catch((error: Error) => {
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
      },
    );
  }

  /**
   * Records the stored archive as made here (its hash and size as stored). Without the record an encrypted
   * archive could be restored only with confirm_unknown, so a record that cannot be written fails the job,
   * and the archive (this job's own, just made under a free name) is deleted rather than left unrecorded.
   */
  private async record(target: BackupTarget, produced: ProducedArchive, storage: ObjectStorage, version: string, chained: boolean): Promise<void> {
    try {
      await this.provenance.record({
        target,
        filename: produced.filename,
        sha256: produced.sha256,
        sizeBytes: produced.size,
        recipients: produced.recipients,
        createdAt: this.clock.now(),
        version,
        // A chain's point says its kind; a backup of a target with the policy off is recorded as before (a full backup).
        ...(chained ? { kind: produced.kind } : {}),
        ...(produced.base && produced.parent ? { base: produced.base, parent: produced.parent } : {}),
      });
    } catch (error) {
      const discarded = await discardStored(storage, produced.filename);
      throw new DomainError(
        ErrorCode.BackupFailed,
        `Cannot record ${produced.filename} as made by this installation: ${(error as Error).message}, so ${discarded}. Check that the data folder is writable and has free space, then run the backup again`,
        { filename: produced.filename },
        { cause: error },
      );
    }
  }

  /**
   * The name for a backup made at `at`; a later second when a backup of that second already exists, of
   * any kind (full and incremental, plain and encrypted backups share one time line, so no two carry the same time).
   */
  private async freeName(storage: ObjectStorage, kind: BackupKind, at: Date, encrypted: boolean): Promise<string> {
    for (let offset = 0; offset < NAME_ATTEMPTS; offset++) {
      const second = new Date(at.getTime() + offset * 1000);
      if (await secondIsFree(storage, second)) return backupFilenameOfKind(kind, second, { encrypted });
    }
    throw new DomainError(
      ErrorCode.Conflict,
      `Cannot find a free backup name: ${NAME_ATTEMPTS} backups already carry the names of the coming minute. Delete or move some of them, or wait a minute, then run the backup again`,
    );
  }
}

/**
 * The second an archive's name starts from: the job's time, and for an increment never its chain's newest point or
 * before. The plan saw the seconds up to that point taken (or it would have made a full backup: a clock set back),
 * but one of them may be freed since (a link deleted by hand while the increment was made): an increment named
 * there would sort before its own parent, and take the place of the link it lost.
 */
function nameFrom(at: Date, plan: ChainPlan | undefined): Date {
  const newest = plan?.kind === 'incremental' ? parseBackupFilename(plan.index.last) : undefined;
  return newest && newest.getTime() >= at.getTime() ? new Date(newest.getTime() + 1000) : at;
}

/** A database's entry in a full backup's metadata, from its page-stable snapshot. */
function databaseEntryOf(db: ManagedDatabase, snapshot: PointDatabase): DatabaseEntry {
  return { name: db.name, filename: db.filename, size_bytes: snapshot.bytes, checksum: `sha256:${snapshot.sha256}` };
}

/** A full backup's contents: the `<name>.db` snapshots after the spec's metadata (of the time in the name chosen). */
function fullContents(dir: string, databases: DatabaseEntry[]): ArchiveContentsOfTime {
  return {
    dir,
    files: databases.map((db) => ({ name: db.filename, size: db.size_bytes })),
    metadata: (timestamp): BackupMetadata => ({ timestamp, version: METADATA_FORMAT_VERSION, sentinel_version: APP_VERSION, databases }),
  };
}

/** An increment's contents: its metadata (docs/incremental-backups.md, "An increment's archive"), then only the pages files. */
function incrementContents(dir: string, draft: IncrementDraft): ArchiveContentsOfTime {
  return {
    dir,
    files: draft.files,
    metadata: (timestamp): IncrementalMetadata => ({
      timestamp,
      version: METADATA_FORMAT_VERSION,
      sentinel_version: APP_VERSION,
      kind: 'incremental',
      base: draft.base,
      parent: draft.parent,
      databases: draft.databases,
    }),
  };
}

/**
 * Deletes `filename`, which this job has just stored (its own: stores never replace an object) and which must not stay
 * as a backup, and says which happened, for the job's error: "<name> was deleted", or that it could not be and why.
 */
async function discardStored(storage: ObjectStorage, filename: string): Promise<string> {
  return storage.delete(filename).then(
    () => `${filename} was deleted`,
    (failure: Error) => `${filename} could not be deleted either (${failure.message}): delete it by hand`,
  );
}

/** Destroys `stream` (a no-op once it has ended) and waits until it has closed. */
async function closed(stream: Readable): Promise<void> {
  if (stream.closed) return;
  const close = new Promise((resolve) => stream.once('close', resolve));
  stream.destroy();
  await close;
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
