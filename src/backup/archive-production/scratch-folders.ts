import { Injectable } from '@nestjs/common';
import fs from 'node:fs';
import { createWorkFolder, SCRATCH_PREFIX } from '../../common/fs/work-folder.js';
import { InstallationIdentity } from '../../common/installation/installation-identity.js';
import { DatabaseRegistry } from '../../database/database-registry.js';

/**
 * Port: a backup's scratch folder in DATA_DIR, where its snapshots are made. It carries the work-folder
 * marker (installation, process, job), so the start-up sweep can prove it is ours after a crash.
 */
@Injectable()
export class ScratchFolders {
  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly identity: InstallationIdentity,
  ) {}

  create(jobId: string): Promise<string> {
    return createWorkFolder(this.identity, this.registry.dataDir, SCRATCH_PREFIX, 'backup-scratch', { jobId });
  }

  /**
   * Removes `files` of a scratch folder early, one at a time (the archive being written beside them shares libuv's
   * few threads); never rejects: what could not be removed goes with the folder (remove()).
   */
  async removeFiles(files: readonly string[]): Promise<void> {
    for (const file of files) await fs.promises.rm(file, { force: true }).catch(() => undefined);
  }

  /** Asynchronous: removing a gigabyte of snapshots blocks for up to half a second, and the API must not. */
  async remove(dir: string): Promise<void> {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
