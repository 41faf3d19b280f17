import { Injectable, Logger } from '@nestjs/common';
import fs from 'node:fs';
import type { BackupTarget } from '../common/backup-target.js';
import { writeFileAtomic } from '../common/fs/durable-fs.js';
import { DataFolderLayout } from './core/data-folder-layout.js';
import { LAST_APPLY_FILE } from './restore-paths.js';

/**
 * How the last apply of a staged restore ended:
 * - applied: the restored databases are live;
 * - resumed: an apply interrupted by a crash was finished at the next start; the restored databases are live;
 * - rolled_back: an apply could not be finished and was undone from the safety copy; the databases are as before;
 * - failed: the apply stopped before any database was replaced (for example, no room for the safety copy);
 *   the databases are as before and the staged restore was withdrawn.
 */
export type ApplyOutcome = 'applied' | 'resumed' | 'rolled_back' | 'failed';

export interface LastApply {
  outcome: ApplyOutcome;
  at: string;
  archive: string;
  target: BackupTarget;
  message: string;
  /** The `pre-restore-backup-*` folder in DATA_DIR holding the databases as they were, if one was made. */
  safety_copy: string | null;
}

/** `.restore-last-apply.json` in DATA_DIR: the last apply's outcome, kept across restarts for the status API. */
@Injectable()
export class LastApplyStore {
  private readonly logger = new Logger('Restore');

  constructor(private readonly layout: DataFolderLayout) {}

  private get file(): string {
    return this.layout.file(LAST_APPLY_FILE);
  }

  async read(): Promise<LastApply | null> {
    try {
      return JSON.parse(await fs.promises.readFile(this.file, 'utf8')) as LastApply;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn(`Cannot read ${this.file}: ${(error as Error).message}`);
      return null;
    }
  }

  async write(entry: LastApply): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(entry, null, 2)}\n`);
  }
}
