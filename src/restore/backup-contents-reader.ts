import { Inject, Injectable } from '@nestjs/common';
import fs from 'node:fs';
import { assertBackupName } from '../archive-format/backup-name.js';
import type { BackupMetadata } from '../archive-format/backup-metadata.js';
import type { BackupTarget } from '../common/backup-target.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { databaseSetProblem } from './archive-reader/archive-extractor.js';
import { readArchiveMetadata } from './archive-reader/archive-read-pipeline.js';
import { ARCHIVE_READ_STEPS, type ArchiveReadStep } from './archive-reader/archive-read-step.js';
import { BackupArchiveOpener } from './archive-reader/backup-archive-opener.js';
import { describeRecipients } from './archive-reader/describe-recipients.js';
import { DataFolderLayout } from './core/data-folder-layout.js';
import { StoredArchiveAccess } from './stored-archive-access.js';

/** One database as a restore of the backup would change it: its size in the backup beside its size now. */
export interface DatabaseComparison {
  name: string;
  filename: string;
  /** Its size in the backup (from the metadata); null when the backup does not hold it, or cannot be read. */
  backupSizeBytes: number | null;
  /** The live database's size now (its pages in use times the page size, as a backup made now would hold it); null when there is none (not managed here, or absent). */
  currentSizeBytes: number | null;
}

/** What a restore of a backup would bring back, read before it is asked for. */
export interface BackupContents {
  target: BackupTarget;
  archive: string;
  encrypted: boolean;
  /** False when the metadata could not be read without a key the server does not hold: `unreadableReason` says why. */
  readable: boolean;
  unreadableReason: string | null;
  /** When the backup was made (its metadata's timestamp); null when unreadable. */
  backupTimestamp: string | null;
  backupSentinelVersion: string | null;
  /** The backup's databases in its order, then managed ones it lacks; when unreadable, the managed ones with their current size. */
  databases: DatabaseComparison[];
  /** Why a restore of it would be refused because its databases are not the managed set (see databaseSetProblem). */
  databaseSetProblem: string | null;
}

/**
 * What a backup holds, set beside the live databases, for a person deciding on a restore: the archive's
 * metadata (its first entry, read with the restore's own pipeline and checks, readArchiveMetadata: only
 * the first bytes are downloaded) and each live database's size. Changes nothing, writes nothing, and
 * copies nothing of a live database: its size is asked of its connection.
 * An encrypted backup is read with the server's keys (StoredArchiveAccess, as a verification would);
 * with none (write-only mode) its contents are reported unreadable, not refused: the current sizes still show.
 */
@Injectable()
export class BackupContentsReader {
  constructor(
    private readonly opener: BackupArchiveOpener,
    private readonly access: StoredArchiveAccess,
    private readonly layout: DataFolderLayout,
    private readonly registry: DatabaseRegistry,
    @Inject(ARCHIVE_READ_STEPS) private readonly steps: readonly ArchiveReadStep[],
  ) {}

  async read(target: BackupTarget, filename: string, signal?: AbortSignal): Promise<BackupContents> {
    assertBackupName(filename);
    const access = await this.access.forVerification(target, filename, { identities: [] });
    const base = { target, archive: filename, encrypted: access.encrypted };
    if (access.encrypted && !access.keys) {
      return this.unreadable(
        base,
        `${filename} is encrypted ${describeRecipients(access.recipients)} and the server holds no key for it: ` +
          'what it holds cannot be shown without the recovery key (the restore asks for it)',
      );
    }
    let metadata: BackupMetadata;
    try {
      const opened = await this.opener.open(target, filename, signal);
      metadata = await readArchiveMetadata(opened.body, { archive: filename, managed: this.layout.names, keys: access.keys, signal }, this.steps);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.EncryptionKeyWrong) {
        return this.unreadable(
          base,
          `${filename} is encrypted ${describeRecipients(access.recipients)} and none of the server's keys opens it: ` +
            'what it holds cannot be shown without its recovery key (the restore asks for it)',
        );
      }
      throw error;
    }
    const inBackup = metadata.databases.map((db) => ({ name: db.name, filename: db.filename, backupSizeBytes: db.size_bytes }));
    const missing = this.layout.databases
      .filter((db) => !inBackup.some((b) => b.name === db.name))
      .map((db) => ({ name: db.name, filename: db.filename, backupSizeBytes: null }));
    return {
      ...base,
      readable: true,
      unreadableReason: null,
      backupTimestamp: metadata.timestamp,
      backupSentinelVersion: metadata.sentinel_version,
      databases: await Promise.all([...inBackup, ...missing].map(async (db) => ({ ...db, currentSizeBytes: await this.currentSize(db.name) }))),
      databaseSetProblem:
        databaseSetProblem(
          metadata.databases.map((db) => db.name),
          this.layout.names,
        ) ?? null,
    };
  }

  private async unreadable(base: Pick<BackupContents, 'target' | 'archive' | 'encrypted'>, reason: string): Promise<BackupContents> {
    return {
      ...base,
      readable: false,
      unreadableReason: reason,
      backupTimestamp: null,
      backupSentinelVersion: null,
      databases: await Promise.all(
        this.layout.databases.map(async (db) => ({
          name: db.name,
          filename: db.filename,
          backupSizeBytes: null,
          currentSizeBytes: await this.currentSize(db.name),
        })),
      ),
      databaseSetProblem: null,
    };
  }

  /**
   * The live database's size as a backup of it now would have it: its pages in use (all of them less the free
   * ones: a backup is a VACUUM INTO copy, which leaves free pages out) times the page size, asked of its open
   * connection. The main file alone is not that: in WAL mode, recent writes sit in the -wal file until a
   * checkpoint, and the file keeps the pages freed by deletes. A database that cannot be asked (damaged) is
   * given by its main file's size.
   */
  private async currentSize(name: string): Promise<number | null> {
    const db = this.layout.databases.find((d) => d.name === name);
    if (!db) return null;
    try {
      const source = await this.registry.dataSource(name);
      const [{ page_count: pages }] = (await source.query('PRAGMA page_count')) as Array<{ page_count: number }>;
      const [{ freelist_count: free }] = (await source.query('PRAGMA freelist_count')) as Array<{ freelist_count: number }>;
      const [{ page_size: pageSize }] = (await source.query('PRAGMA page_size')) as Array<{ page_size: number }>;
      return (pages - free) * pageSize;
    } catch {
      const stat = await fs.promises.stat(db.path).catch(() => undefined);
      return stat?.isFile() ? stat.size : null;
    }
  }
}
