import { Injectable } from '@nestjs/common';
import type { BackupTarget } from '../common/backup-target.js';

/** One archive this installation wrote, as recorded when its upload completed. */
export interface WrittenArchive {
  target: BackupTarget;
  /** The archive's name (`sentinel-backup-...tar.gz` or `...tar.gz.age`). */
  filename: string;
  /** SHA-256 (hex) of the object exactly as stored (after encryption, when encrypted). */
  sha256: string;
  /** Size in bytes of the object as stored. */
  sizeBytes: number;
  /** The age recipients it was encrypted to; null for a plain archive. */
  recipients: string[] | null;
  createdAt: Date;
}

/**
 * The archives this installation wrote, kept beside the service (its own file in DATA_DIR, not a managed
 * database: a restore must not roll it back, and it is never in a backup). What "made here" means: an
 * archive whose stored bytes hash to what was recorded at upload. STUB: implemented by the keys engineer.
 */
@Injectable()
export class ArchiveProvenance {
  async record(entry: WrittenArchive): Promise<void> {
    void entry;
  }

  async find(target: BackupTarget, filename: string): Promise<WrittenArchive | undefined> {
    void target;
    void filename;
    return undefined;
  }

  /** Every record of `target`, by filename (for the listing). */
  async findAll(target: BackupTarget): Promise<Map<string, WrittenArchive>> {
    void target;
    return new Map();
  }

  /** Forgets an archive the service deleted (a later object of the same name is then not "made here"). */
  async forget(target: BackupTarget, filename: string): Promise<void> {
    void target;
    void filename;
  }
}
