import { Injectable, Logger } from '@nestjs/common';
import { BACKUP_NAME_PREFIX, type BackupKind, parseBackupName } from '../archive-format/backup-filename.js';
import { assertBackupName, backupNotFound, notFoundAsBackup } from '../archive-format/backup-name.js';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { objectVersion, type DownloadResult, type ObjectLock, type StoredObject } from '../storage/object-storage.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';
import { ArchiveProvenance, type WrittenArchive } from '../encryption/archive-provenance.store.js';
import { ChainHolds } from './incremental-production/chain-holds.js';
import { ChainGraph } from './retention/chain-graph.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How many dependents a BACKUP_HAS_DEPENDENTS message names before "and N more". */
const DEPENDENTS_NAMED = 10;

export interface BackupFile {
  filename: string;
  sizeBytes: number;
  createdAt: Date;
  ageMs: number;
  /** The installation that made it; null for archives of earlier versions, which recorded none. */
  owner: string | null;
  /**
   * This installation manages it (rotation may delete it): its own id, or no owner while no other
   * installation's archive is in the target (an earlier version's backups, from before owners).
   */
  own: boolean;
  /** The lock that keeps it from being deleted before a date (S3 Object Lock), as the store reported it; null or absent: none. */
  lock?: ObjectLock | null;
}

/** A backup as the list shows it: a BackupFile, and what encryption and provenance say of it. */
export interface ListedBackup extends BackupFile {
  /** Encrypted with age (`.tar.gz.age`), from its name. */
  encrypted: boolean;
  /**
   * The recipients it was encrypted to (which key it needs): this installation's record of it, else the
   * object's metadata; null when plain or unknown.
   */
  recipients: string[] | null;
  /** This installation recorded writing it, and the object still has the recorded size. */
  madeHere: boolean;
  /** What identifies the object stored now (objectVersion: an S3 ETag, a file's size and mtime), to compare with a record's. */
  version: string;
  /** Full backup or increment, from its name. */
  kind: BackupKind;
  /** An increment's full backup, from this installation's record of it; null for a full backup, or when unknown (no record). */
  base: string | null;
  /** The point an increment was made against (its full backup, or the increment before), from the record; null as `base`. */
  parent: string | null;
}

/** An increment's base and parent as its archive's metadata names them, or why they cannot be read. */
export type AdoptedChainReader = (target: BackupTarget, filename: string) => Promise<{ base: string; parent: string } | string>;

/** Who owns the archives of one target, and whether another installation shares it. */
function ownership(files: Array<{ owner: string | null }>, self: string): { foreign: boolean } {
  return { foreign: files.some((file) => file.owner !== null && file.owner !== self) };
}

/**
 * The backups in a target: only objects named like a backup are listed, downloaded or deleted, so
 * no request can reach another key, and foreign objects in a shared bucket are never touched.
 * Each backup carries its owner (the installation that made it): another installation's backups are
 * listed, downloaded and restored like ours, but deleted only on explicit request, and adopted on request.
 */
@Injectable()
export class BackupCatalogService {
  private readonly logger = new Logger('Backup');
  private chainReader: AdoptedChainReader | undefined;

  constructor(
    private readonly storage: StorageTargets,
    private readonly clock: Clock,
    private readonly identity: InstallationIdentity,
    private readonly provenance: ArchiveProvenance,
    private readonly holds: ChainHolds,
  ) {}

  /**
   * Every backup in the target, plain and encrypted, with its owner, newest first (age from the UTC time
   * in the name, the same time line for both kinds).
   */
  async list(target: BackupTarget): Promise<ListedBackup[]> {
    const storage = await this.storage.get(target);
    const objects = (await storage.list(BACKUP_NAME_PREFIX)).filter((object) => parseBackupName(object.key));
    const owners = await storage.owners(objects);
    // S3: read by the HeadObject of the owner lookup just made, and cached with the owner: no request of its own.
    const locks = await storage.locks(objects.filter((object) => owners.has(object.key)));
    const records = await this.provenance.findAll(target);
    const adopted = await this.provenance.adoptedChains(target);
    const now = this.clock.now().getTime();
    const found = objects.filter((object) => owners.has(object.key)).map((object) => ({ object, owner: owners.get(object.key) ?? null }));
    const { foreign } = ownership(found, this.identity.id);
    const recipients = await this.unrecordedRecipients(
      target,
      found.map(({ object }) => object).filter((o) => !records.has(o.key)),
    );
    return found
      .map(({ object, owner }) =>
        toBackupFile(
          object,
          now,
          owner,
          owner === this.identity.id || (owner === null && !foreign),
          records.get(object.key),
          recipients.get(object.key),
          locks.get(object.key) ?? null,
          adopted.get(object.key),
        ),
      )
      .filter((file): file is ListedBackup => file !== undefined)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.filename.localeCompare(a.filename));
  }

  /**
   * The recipients stored with encrypted archives this installation has no record of (another
   * installation's, or from before a move): read from the object's metadata, a lookup each. A lookup that
   * fails leaves the recipients unknown rather than failing the list.
   */
  private async unrecordedRecipients(target: BackupTarget, objects: StoredObject[]): Promise<Map<string, string[] | null>> {
    const encrypted = objects.filter((object) => parseBackupName(object.key)?.encrypted);
    if (encrypted.length === 0) return new Map();
    // S3: read by the HeadObject of the owner lookup just made, and cached with the owner by version.
    return (await this.storage.get(target)).recipients(encrypted).catch((error: Error) => {
      this.logger.warn(`Cannot read the recipients of ${encrypted.length} encrypted archives: ${error.message}`);
      return new Map<string, string[] | null>();
    });
  }

  /** The stored size of one backup, which must exist (BACKUP_NOT_FOUND otherwise): asked before a download link is handed out. */
  async sizeOf(target: BackupTarget, filename: string): Promise<number> {
    assertBackupName(filename);
    const stored = await (await this.storage.get(target)).head(filename);
    if (!stored) throw backupNotFound(target, filename);
    return stored.size;
  }

  async download(target: BackupTarget, filename: string): Promise<DownloadResult> {
    assertBackupName(filename);
    try {
      return await (await this.storage.get(target)).download(filename);
    } catch (error) {
      throw notFoundAsBackup(error, target, filename);
    }
  }

  /**
   * Deletes one backup. Another installation's (or one without an owner while another installation
   * shares the target) only with `confirmForeign`: it may be that installation's only backup. Never one that a
   * listed point (an increment) needs to be restored (ChainGraph): those go first, or with rotation. Nor one that a
   * running incremental backup job builds on (ChainHolds): that waits for the job.
   */
  async delete(target: BackupTarget, filename: string, confirmForeign = false): Promise<void> {
    assertBackupName(filename);
    const storage = await this.storage.get(target);
    const stored = await storage.head(filename);
    if (!stored) throw backupNotFound(target, filename);
    this.holds.assertNotHeld(target, filename);
    await this.refuseWithDependents(target, filename);
    const owner = stored.owner ?? null;
    // A lock is refused before anything else: no confirmation can lift it, and the store would refuse anyway.
    if (stored.lock && stored.lock.retainUntil.getTime() > this.clock.now().getTime()) {
      throw new DomainError(
        ErrorCode.ObjectLocked,
        `${filename} is locked until ${stored.lock.retainUntil.toISOString()} (S3 Object Lock, ${stored.lock.mode} mode): it can be deleted after that date, ` +
          'and rotation deletes it then once it is older than the retention days',
        { filename, retain_until: stored.lock.retainUntil.toISOString(), mode: stored.lock.mode },
      );
    }
    if (owner !== this.identity.id && !confirmForeign) {
      const own = owner === null && !ownership(await this.list(target), this.identity.id).foreign;
      if (!own) {
        throw new DomainError(
          ErrorCode.BackupNotOwn,
          `${filename} is not this installation's backup (${owner === null ? 'it has no owner and another installation shares this target' : `it belongs to installation ${owner}`}): ` +
            `it may be another installation's only backup. To delete it anyway, repeat the request with ?confirm_foreign=true; to manage it here, POST /api/backups/${target}/${filename}/adopt`,
          { filename, installation_id: owner },
        );
      }
    }
    // Asked again at the last moment: a job may have begun to build on it while the checks above listed the target.
    this.holds.assertNotHeld(target, filename);
    try {
      await storage.delete(filename);
    } catch (error) {
      // The archive goes first, then its markers: when only a marker failed, the archive's record goes anyway.
      if (await this.isGone(target, filename)) await this.forget(target, filename);
      throw error;
    }
    await this.forget(target, filename);
    this.logger.log(
      `${targetLabel(target)} backup deleted: ${filename}${owner !== this.identity.id ? ` (owner: ${owner ?? 'none'}, deletion confirmed)` : ''}`,
    );
  }

  /** BACKUP_HAS_DEPENDENTS when any backup in the target needs `filename` to be restored (or might: ChainGraph). */
  private async refuseWithDependents(target: BackupTarget, filename: string): Promise<void> {
    const dependents = new ChainGraph(await this.list(target)).dependentsOf(filename);
    if (dependents.length === 0) return;
    const named =
      dependents.slice(0, DEPENDENTS_NAMED).join(', ') + (dependents.length > DEPENDENTS_NAMED ? ` and ${dependents.length - DEPENDENTS_NAMED} more` : '');
    throw new DomainError(
      ErrorCode.BackupHasDependents,
      `${filename} cannot be deleted: ${dependents.length === 1 ? 'a backup needs' : `${dependents.length} backups need`} it to be restored: ${named}. ` +
        `Nothing was deleted. Delete ${dependents.length === 1 ? 'that increment' : 'those increments'} first (newest first), or let rotation delete the chain once no kept backup needs it`,
      { filename, dependents: dependents.slice(0, DEPENDENTS_NAMED), dependents_total: dependents.length },
    );
  }

  /**
   * Forgets the record of an archive this service deleted (so a later object of the same name is not
   * "made here"). The archive is gone already: a record that cannot be forgotten is logged, not thrown
   * (a stale record never matches another object's hash).
   */
  async forget(target: BackupTarget, filename: string): Promise<void> {
    try {
      await this.provenance.forget(target, filename);
    } catch (error) {
      this.logger.warn(`Deleted ${filename}, but could not forget its record: ${(error as Error).message}`);
    }
  }

  /** True only when the target surely holds no archive of that name (a lookup that fails says nothing). */
  async isGone(target: BackupTarget, filename: string): Promise<boolean> {
    return (await (await this.storage.get(target)).head(filename).catch(() => null)) === undefined;
  }

  /**
   * Makes a backup this installation's own, so rotation manages it from now on (an archive restored
   * onto a new machine, or one made by an earlier version while another installation shares the target).
   */
  async adopt(target: BackupTarget, filename: string): Promise<{ previousOwner: string | null; owner: string }> {
    assertBackupName(filename);
    const storage = await this.storage.get(target);
    const stored = await storage.head(filename);
    if (!stored) throw backupNotFound(target, filename);
    const previousOwner = stored.owner ?? null;
    // Even an own increment: its chain may be unrecorded (`.encryption.db` lost), and adopting it is how it is recorded again.
    await this.recordChainOf(target, filename);
    if (previousOwner === this.identity.id) return { previousOwner, owner: this.identity.id };
    try {
      await storage.setOwner(filename, this.identity.id);
    } catch (error) {
      throw notFoundAsBackup(error, target, filename);
    }
    this.logger.log(`${targetLabel(target)} backup adopted: ${filename} (owner was ${previousOwner ?? 'none'}, now this installation ${this.identity.id})`);
    return { previousOwner, owner: this.identity.id };
  }

  /** Sets how an adopted increment's chain is read from its archive (the restore's metadata reader registers itself: ArchiveChainReader). */
  readChainsWith(reader: AdoptedChainReader): void {
    this.chainReader = reader;
  }

  /**
   * For an increment with no recorded chain: its base and parent as its own metadata names them, recorded for the
   * list, rotation and DELETE. One whose metadata cannot be read (encrypted to a key the server does not hold,
   * damaged) keeps an unknown chain, which rotation and DELETE read as needing every older backup; the log says so.
   */
  private async recordChainOf(target: BackupTarget, filename: string): Promise<void> {
    if (parseBackupName(filename)?.kind !== 'incremental' || !this.chainReader) return;
    if ((await this.provenance.findAll(target)).get(filename)?.base) return;
    const chain = await this.chainReader(target, filename).catch((error: Error) => error.message);
    if (typeof chain === 'string') {
      this.logger.warn(
        `${targetLabel(target)} backup ${filename}: its chain could not be read from its metadata (${chain}); ` +
          'rotation and DELETE keep every older backup it might need until it is adopted again with its metadata readable',
      );
      return;
    }
    await this.provenance.recordAdoptedChain(target, filename, chain);
    this.logger.log(`${targetLabel(target)} backup ${filename}: its chain recorded from its metadata (base ${chain.base}, parent ${chain.parent})`);
  }
}

function toBackupFile(
  object: StoredObject,
  now: number,
  owner: string | null,
  own: boolean,
  record: WrittenArchive | undefined,
  storedRecipients: string[] | null | undefined,
  lock: ObjectLock | null,
  adoptedChain: { base: string; parent: string } | undefined,
): ListedBackup | undefined {
  const name = parseBackupName(object.key);
  if (!name) return undefined;
  const { at: createdAt, encrypted, kind } = name;
  const recipients = encrypted ? (record?.recipients ?? storedRecipients ?? null) : null;
  // The stored version too (ETag, or size and mtime), not just the size: another object of the same size
  // put under the name since is not what was recorded. Records of earlier versions have the size only.
  const madeHere = record !== undefined && record.sizeBytes === object.size && (record.version === undefined || record.version === objectVersion(object));
  return {
    filename: object.key,
    sizeBytes: object.size,
    createdAt,
    ageMs: Math.max(0, now - createdAt.getTime()),
    owner,
    own,
    lock,
    encrypted,
    recipients,
    madeHere,
    version: objectVersion(object),
    kind,
    // The chain is what this installation recorded when it wrote the increment, or read from its metadata when it
    // adopted it: an increment with neither (copied in, or its record lost) has an unknown chain, and says so with nulls.
    base: kind === 'incremental' ? (record?.base ?? adoptedChain?.base ?? null) : null,
    parent: kind === 'incremental' ? (record?.parent ?? adoptedChain?.parent ?? null) : null,
  };
}

export function ageInDays(file: BackupFile): number {
  return Math.floor(file.ageMs / DAY_MS);
}
