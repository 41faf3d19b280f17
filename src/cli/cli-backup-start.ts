import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import path from 'node:path';
import { LeftoverSweeper } from '../common/fs/leftover-sweeper.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { DataFolderLayout } from '../restore/core/data-folder-layout.js';
import { RestoreJournalStore } from '../restore/restore-journal.store.js';

/**
 * The command line's backup start, in place of the service's (RestoreOnStartHook): the same DATA_DIR sweep
 * (LeftoverSweeper: the scratch folders of an earlier backup that was killed, this one's as well as the
 * service's), then the databases opened by the service's registry. A staged restore is not applied here: its
 * staging folder is kept, and it waits for the service's next start, as it would have. (The command refuses
 * before this when a restore's apply was interrupted: the databases may then be a mixed set.)
 *
 * Runs in the bootstrap, after every module's init (the run history marks a killed run as interrupted), and
 * it is the only caller of `open()`: the backup's jobs, and the start-up clean-up of the targets
 * (StartupRecovery), wait on the registry's gate, so nothing reads a database before this is done.
 */
@Injectable()
export class CliBackupStart implements OnApplicationBootstrap {
  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly sweeper: LeftoverSweeper,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const journals = new RestoreJournalStore(
      new DataFolderLayout(
        this.registry.dataDir,
        this.registry.list().map((db) => db.name),
      ),
    );
    const staged = await journals.read();
    await this.sweeper.sweepDataDir({ keep: staged ? [path.basename(journals.stagingDir(staged))] : [] });
    await this.registry.open();
  }
}
