import { Injectable, Logger } from '@nestjs/common';
import { parseBackupFilename } from '../archive-format/backup-filename.js';
import { assertBackupName, backupNotFound, notFoundAsBackup } from '../archive-format/backup-name.js';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { DownloadResult, StoredObject } from '../storage/object-storage.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';

const DAY_MS = 24 * 60 * 60 * 1000;

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
}

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

  constructor(
    private readonly storage: StorageTargets,
    private readonly clock: Clock,
    private readonly identity: InstallationIdentity,
  ) {}

  /** Every backup in the target with its owner, newest first (age from the UTC time in the name). */
  async list(target: BackupTarget): Promise<BackupFile[]> {
    const storage = this.storage.get(target);
    const objects = (await storage.list('sentinel-backup-')).filter((object) => parseBackupFilename(object.key));
    const owners = await storage.owners(objects);
    const now = this.clock.now().getTime();
    const found = objects.filter((object) => owners.has(object.key)).map((object) => ({ object, owner: owners.get(object.key) ?? null }));
    const { foreign } = ownership(found, this.identity.id);
    return found
      .map(({ object, owner }) => toBackupFile(object, now, owner, owner === this.identity.id || (owner === null && !foreign)))
      .filter((file): file is BackupFile => file !== undefined)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.filename.localeCompare(a.filename));
  }

  async download(target: BackupTarget, filename: string): Promise<DownloadResult> {
    assertBackupName(filename);
    try {
      return await this.storage.get(target).download(filename);
    } catch (error) {
      throw notFoundAsBackup(error, target, filename);
    }
  }

  /**
   * Deletes one backup. Another installation's (or one without an owner while another installation
   * shares the target) only with `confirmForeign`: it may be that installation's only backup.
   */
  async delete(target: BackupTarget, filename: string, confirmForeign = false): Promise<void> {
    assertBackupName(filename);
    const storage = this.storage.get(target);
    const stored = await storage.head(filename);
    if (!stored) throw backupNotFound(target, filename);
    const owner = stored.owner ?? null;
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
    await storage.delete(filename);
    this.logger.log(
      `${targetLabel(target)} backup deleted: ${filename}${owner !== this.identity.id ? ` (owner: ${owner ?? 'none'}, deletion confirmed)` : ''}`,
    );
  }

  /**
   * Makes a backup this installation's own, so rotation manages it from now on (an archive restored
   * onto a new machine, or one made by an earlier version while another installation shares the target).
   */
  async adopt(target: BackupTarget, filename: string): Promise<{ previousOwner: string | null; owner: string }> {
    assertBackupName(filename);
    const storage = this.storage.get(target);
    const stored = await storage.head(filename);
    if (!stored) throw backupNotFound(target, filename);
    const previousOwner = stored.owner ?? null;
    if (previousOwner === this.identity.id) return { previousOwner, owner: this.identity.id };
    try {
      await storage.setOwner(filename, this.identity.id);
    } catch (error) {
      throw notFoundAsBackup(error, target, filename);
    }
    this.logger.log(`${targetLabel(target)} backup adopted: ${filename} (owner was ${previousOwner ?? 'none'}, now this installation ${this.identity.id})`);
    return { previousOwner, owner: this.identity.id };
  }
}

function toBackupFile(object: StoredObject, now: number, owner: string | null, own: boolean): BackupFile | undefined {
  const createdAt = parseBackupFilename(object.key);
  if (!createdAt) return undefined;
  return { filename: object.key, sizeBytes: object.size, createdAt, ageMs: Math.max(0, now - createdAt.getTime()), owner, own };
}

export function ageInDays(file: BackupFile): number {
  return Math.floor(file.ageMs / DAY_MS);
}
