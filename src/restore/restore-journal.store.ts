import { Injectable } from '@nestjs/common';
import fs from 'node:fs';
import { type BackupTarget, isBackupTarget } from '../common/backup-target.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { unlinkDurably, writeFileAtomic } from '../common/fs/durable-fs.js';
import { DataFolderLayout } from './core/data-folder-layout.js';
import { ownFolder, RESTORE_FLAG, SAFETY_COPY_PREFIX, STAGING_PREFIX } from './restore-paths.js';

/**
 * The `.pending-restore` flag is also the restore's journal. It is only ever replaced atomically
 * (temp file, fsync, rename, fsync of DATA_DIR), so it is always one complete state:
 *
 *   staged        phase 1 is done: verified databases wait in the staging folder; nothing live is touched.
 *   applying      the safety copy is complete and the swaps have begun (or are about to): the next
 *                 start finishes them (roll forward) or, if that is impossible, puts the safety copy back.
 *   rolling_back  an apply is being undone from the safety copy; the next start carries on undoing it.
 *
 * No flag: no restore pending, and the live databases are one complete set.
 */
export type JournalState = 'staged' | 'applying' | 'rolling_back';

/** A database of the staged set, as the archive's metadata and the checks of phase 1 established it. */
export interface JournalDatabase {
  name: string;
  filename: string;
  size_bytes: number;
  /** `sha256:<hex>` of the staged file; the live file has exactly these bytes once swapped. */
  checksum: string;
}

/** A live database as it was before the apply, and where its safety copy is. */
export interface PreviousDatabase {
  name: string;
  filename: string;
  /** False when the database file did not exist (rolling back removes the restored one). */
  present: boolean;
  /** `snapshot`: a consistent copy made with SQLite's `VACUUM INTO`; `raw`: the files as they were (the database could not be opened). */
  copy?: 'snapshot' | 'raw';
  /** `sha256:<hex>` of the copy in the safety folder. */
  checksum?: string;
  /** Raw copies only: side files copied with it (`-wal`, `-journal`). */
  side_files?: string[];
}

export interface RestoreJournal {
  format: 1;
  state: JournalState;
  archive: string;
  target: BackupTarget;
  /** Absolute path at staging time; resolved by base name inside DATA_DIR when read. */
  staging_dir: string;
  staged_at: string;
  /** The metadata's timestamp: when the backup was made. */
  backup_timestamp: string;
  backup_sentinel_version: string;
  restart_requested: boolean;
  databases: JournalDatabase[];
  apply?: {
    started_at: string;
    /** Folder name in DATA_DIR: `pre-restore-backup-<timestamp>`. */
    safety_copy: string;
    previous: PreviousDatabase[];
    rollback_reason?: string;
  };
}

/** The flag exists but cannot be understood: the restore refuses to guess what state the databases are in. */
export class UnreadableJournalError extends DomainError {
  constructor(file: string, reason: string) {
    super(
      ErrorCode.Internal,
      `The restore flag ${file} cannot be read (${reason}), so it is unknown whether a restore was being applied. ` +
        'The service does not start on databases that might be a mixed set. See "When a restore fails" in the restore documentation: ' +
        'check the databases against the newest pre-restore-backup-* folder, then delete the flag.',
      { file },
    );
    this.name = 'UnreadableJournalError';
  }
}

const CHECKSUM = /^sha256:[0-9a-f]{64}$/;

@Injectable()
export class RestoreJournalStore {
  constructor(private readonly layout: DataFolderLayout) {}

  get file(): string {
    return this.layout.file(RESTORE_FLAG);
  }

  /** The journal, or undefined when no restore is pending. Throws UnreadableJournalError for a damaged flag. */
  async read(): Promise<RestoreJournal | undefined> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new UnreadableJournalError(this.file, (error as Error).message);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new UnreadableJournalError(this.file, `not JSON: ${(error as Error).message}`);
    }
    const problem = journalProblem(value);
    if (problem) throw new UnreadableJournalError(this.file, problem);
    return value as RestoreJournal;
  }

  async write(journal: RestoreJournal): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(journal, null, 2)}\n`);
  }

  async remove(): Promise<boolean> {
    return unlinkDurably(this.file);
  }

  /** The staging folder the journal names, inside DATA_DIR. */
  stagingDir(journal: RestoreJournal): string {
    return ownFolder(this.layout.dataDir, journal.staging_dir, STAGING_PREFIX) as string;
  }

  safetyCopyDir(journal: RestoreJournal): string | undefined {
    return journal.apply ? ownFolder(this.layout.dataDir, journal.apply.safety_copy, SAFETY_COPY_PREFIX) : undefined;
  }
}

function journalProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const j = value as Partial<RestoreJournal>;
  if (j.format !== 1) return `unknown format ${String(j.format)}`;
  if (j.state !== 'staged' && j.state !== 'applying' && j.state !== 'rolling_back') return `unknown state ${String(j.state)}`;
  if (typeof j.archive !== 'string' || !isBackupTarget(j.target)) return 'archive or target missing';
  if (typeof j.staging_dir !== 'string' || !ownFolder('/', j.staging_dir, STAGING_PREFIX)) return 'staging_dir is not a staging folder';
  if (!Array.isArray(j.databases) || j.databases.length === 0) return 'no databases';
  for (const db of j.databases) {
    if (typeof db?.name !== 'string' || db.filename !== `${db.name}.db` || !/^[a-z][a-z0-9_-]{0,63}$/.test(db.name) || !CHECKSUM.test(String(db.checksum))) {
      return `bad database entry ${JSON.stringify(db)}`;
    }
  }
  if (j.state !== 'staged') {
    const apply = j.apply;
    if (!apply || typeof apply.safety_copy !== 'string' || !ownFolder('/', apply.safety_copy, SAFETY_COPY_PREFIX) || !Array.isArray(apply.previous)) {
      return `state ${j.state} without a valid safety copy record`;
    }
    for (const prev of apply.previous) {
      if (typeof prev?.name !== 'string' || prev.filename !== `${prev.name}.db` || typeof prev.present !== 'boolean')
        return `bad previous entry ${JSON.stringify(prev)}`;
      if (prev.present && !CHECKSUM.test(String(prev.checksum))) return `previous entry ${prev.name} has no checksum`;
      for (const side of prev.side_files ?? []) if (side !== '-wal' && side !== '-journal') return `bad side file ${side}`;
    }
  }
  return undefined;
}
