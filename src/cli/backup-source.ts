import fs from 'node:fs';
import path from 'node:path';
import { parseBackupName } from '../archive-format/backup-filename.js';
import type { DownloadResult, ObjectStorage, StoredObject } from '../storage/object-storage.js';
import type { ArchiveToUnpack } from '../restore/core/archive-unpacker.js';
import { CliError } from './cli-error.js';
import type { WrittenArchive } from '../encryption/archive-provenance.store.js';

/** One backup as `list` shows it. */
export interface ListedBackup {
  name: string;
  /** When the backup was made (from its name, UTC). */
  time: Date;
  sizeBytes: number;
}

/**
 * Where the command line reads backups from: a storage adapter of the service (a configured target, a
 * bucket, a folder) or one archive file. Only names that are backup names count, as in the service.
 */
export interface BackupSource {
  /** Where, for people: endpoint and bucket or folder, never credentials. */
  readonly where: string;
  /** What the restore journal records as the archive's target. */
  readonly target: string;
  /** Newest first. */
  list(): Promise<ListedBackup[]>;
  /** The archive `backup` (a name, or `latest`) names; CliError (exit 1) when there is none. */
  find(backup: string): Promise<ArchiveToUnpack>;
  /** The age recipients recorded with an encrypted backup (S3 metadata, a folder's sidecar), for messages; null when unknown. */
  recipients(name: string): Promise<readonly string[] | null>;
  close(): Promise<void>;
}

/** Newest first; the names' timestamps decide, as they do in the service's listings. */
function listed(objects: ReadonlyArray<{ key: string; size: number }>): ListedBackup[] {
  const out: ListedBackup[] = [];
  for (const object of objects) {
    const parsed = parseBackupName(object.key);
    if (parsed) out.push({ name: object.key, time: parsed.at, sizeBytes: object.size });
  }
  return out.sort((a, b) => b.time.getTime() - a.time.getTime() || (a.name < b.name ? 1 : -1));
}

/** One stored backup as `download` reads it. */
export interface StoredBackup {
  name: string;
  /** Its entry in the store now: size, and what identifies this version of it (objectVersion). */
  object: StoredObject;
  /** Its bytes from `offset` to the end (a ranged read when resuming). */
  read(offset: number, signal: AbortSignal): Promise<DownloadResult>;
  /** The SHA-256 and size the service recorded when it wrote it; undefined when not known here. */
  recorded(): Promise<WrittenArchive | undefined>;
}

/** Backups in a storage adapter of the service (S3 or folder). */
export class StorageBackupSource implements BackupSource {
  constructor(
    private readonly storage: ObjectStorage,
    readonly where: string,
    readonly target: string,
    private readonly onClose: () => Promise<void> = async () => undefined,
    /** What the service recorded of an archive when it wrote it, where that is known (a DATA_DIR's configured target). */
    private readonly recorded?: (name: string) => Promise<WrittenArchive | undefined>,
  ) {}

  async list(): Promise<ListedBackup[]> {
    return listed(await this.storage.list());
  }

  async find(backup: string): Promise<ArchiveToUnpack> {
    const name = await this.resolve(backup);
    const storage = this.storage;
    return { name, open: async (signal) => storage.download(name, { signal }) };
  }

  /** The stored backup `backup` names, for `download`: encrypted ones too (they are downloaded as they are stored). */
  async locate(backup: string): Promise<StoredBackup> {
    const name = await this.resolve(backup);
    const object = await this.storage.head(name);
    if (!object) throw new CliError(`${name} was deleted from ${this.where} meanwhile: sentinel-backup list shows the backups there`);
    const storage = this.storage;
    const recorded = this.recorded;
    return {
      name,
      object,
      read: (offset, signal) => storage.download(name, { offset, signal }),
      recorded: async () => recorded?.(name),
    };
  }

  /** The backup's name: `latest`'s, or the one given once it is known to be there; CliError when it is not. */
  private async resolve(backup: string): Promise<string> {
    if (backup === 'latest') {
      const [newest] = await this.list();
      if (!newest) throw new CliError(`There is no backup in ${this.where}: check the location (sentinel-backup list shows what is there)`);
      return newest.name;
    }
    if (!parseBackupName(backup)) {
      throw CliError.usage(
        `'${backup}' is not a backup name (sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz, or sentinel-incremental-… for an increment) nor latest; give an archive file as a path (./${backup})`,
      );
    }
    if (!(await this.storage.head(backup))) {
      throw CliError.missingBackup(`There is no backup named ${backup} in ${this.where}: sentinel-backup list shows the backups there`);
    }
    return backup;
  }

  async recipients(name: string): Promise<readonly string[] | null> {
    return (await this.storage.head(name).catch(() => undefined))?.recipients ?? null;
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

/** One archive file given by its path. */
export class ArchiveFileSource implements BackupSource {
  readonly target = 'file';
  readonly where: string;

  constructor(private readonly file: string) {
    this.where = path.resolve(file);
  }

  async list(): Promise<ListedBackup[]> {
    const stat = this.stat();
    return [{ name: path.basename(this.file), time: parseBackupName(path.basename(this.file))?.at ?? stat.mtime, sizeBytes: stat.size }];
  }

  async find(): Promise<ArchiveToUnpack> {
    const file = this.where;
    const size = this.stat().size;
    return { name: path.basename(file), open: async () => ({ body: fs.createReadStream(file), size }) };
  }

  /** A file carries no record of its recipients (and age's header does not name them). */
  async recipients(): Promise<null> {
    return null;
  }

  async close(): Promise<void> {}

  private stat(): fs.Stats {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.where);
    } catch (error) {
      throw new CliError(
        `Cannot read the archive ${this.where}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      );
    }
    if (!stat.isFile()) throw new CliError(`${this.where} is not an archive file`);
    return stat;
  }
}
