import { Injectable, Logger } from '@nestjs/common';
import { BACKUP_FILENAME_EXAMPLE, parseBackupFilename } from '../archive/backup-filename.js';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { DownloadResult, StoredObject } from '../storage/object-storage.js';
import { StorageTargets } from '../storage/storage-targets.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface BackupFile {
  filename: string;
  sizeBytes: number;
  createdAt: Date;
  ageMs: number;
}

/**
 * The backups in a target: only objects named like a backup are listed, downloaded or deleted, so
 * no request can reach another key, and foreign objects in a shared bucket are never touched.
 */
@Injectable()
export class BackupCatalogService {
  private readonly logger = new Logger('Backup');

  constructor(
    private readonly storage: StorageTargets,
    private readonly clock: Clock,
  ) {}

  /** Every backup in the target, newest first (age from the UTC time in the name). */
  async list(target: BackupTarget): Promise<BackupFile[]> {
    const objects = await this.storage.get(target).list('sentinel-backup-');
    const now = this.clock.now().getTime();
    return objects
      .map((object) => toBackupFile(object, now))
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

  async delete(target: BackupTarget, filename: string): Promise<void> {
    assertBackupName(filename);
    const storage = this.storage.get(target);
    if (!(await storage.head(filename))) throw backupNotFound(target, filename);
    await storage.delete(filename);
    this.logger.log(`${targetLabel(target)} backup deleted: ${filename}`);
  }
}

/** 400 unless `filename` is a backup's name: nothing else can be addressed through the backup API. */
export function assertBackupName(filename: string): void {
  if (!parseBackupFilename(filename)) {
    throw new DomainError(ErrorCode.BackupNameInvalid, `'${filename}' is not a backup name: names look like ${BACKUP_FILENAME_EXAMPLE}`, { filename });
  }
}

export function backupNotFound(target: BackupTarget, filename: string): DomainError {
  return new DomainError(ErrorCode.BackupNotFound, `No ${targetLabel(target)} backup named ${filename}; GET /api/backups/${target} lists the backups`, { filename });
}

function notFoundAsBackup(error: unknown, target: BackupTarget, filename: string): unknown {
  return error instanceof DomainError && error.code === ErrorCode.ObjectNotFound ? backupNotFound(target, filename) : error;
}

function toBackupFile(object: StoredObject, now: number): BackupFile | undefined {
  const createdAt = parseBackupFilename(object.key);
  if (!createdAt) return undefined;
  return { filename: object.key, sizeBytes: object.size, createdAt, ageMs: Math.max(0, now - createdAt.getTime()) };
}

export function ageInDays(file: BackupFile): number {
  return Math.floor(file.ageMs / DAY_MS);
}
