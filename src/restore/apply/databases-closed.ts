import path from 'node:path';
import type { DataDirLock } from '../../common/lifecycle/data-dir-lock.js';

/**
 * Proof, which RestoreApplier.applyPending requires, that no connection to a database of DATA_DIR
 * exists and none will open while it runs: the apply renames database files and sweeps work folders,
 * which under a running service would swap files beneath open connections and delete its scratch.
 * There are exactly two ways to have it:
 *
 * - `byLock`: this process holds DATA_DIR's lock (`.service.lock`), so no service runs on it, and the
 *   program opens no database itself (the restore core on its own: RestoreCoreModule.standalone).
 * - `beforeRegistryOpens`: the service's start, whose registry has opened no connection yet (the
 *   service holds the lock from main.ts or createApp; RestoreOnStartHook).
 */
export class DatabasesClosed {
  private constructor(
    private readonly dataDir: string,
    /** Checked again when the apply starts: a lock released meanwhile proves nothing any more. */
    private readonly stillValid: () => string | undefined,
  ) {}

  static byLock(lock: DataDirLock): DatabasesClosed {
    const proof = new DatabasesClosed(lock.holder.data_dir, () => (lock.isHeld ? undefined : `the lock ${lock.file} was released`));
    proof.check(lock.holder.data_dir);
    return proof;
  }

  static beforeRegistryOpens(registry: { readonly isOpen: boolean }, dataDir: string): DatabasesClosed {
    const proof = new DatabasesClosed(dataDir, () => (registry.isOpen ? 'the databases are open' : undefined));
    proof.check(dataDir);
    return proof;
  }

  /** Throws unless this still proves that the databases of `dataDir` are closed. */
  check(dataDir: string): void {
    if (path.resolve(dataDir) !== path.resolve(this.dataDir)) {
      throw new Error(`A restore cannot be applied to ${dataDir}: the caller proved only that the databases of ${this.dataDir} are closed`);
    }
    const problem = this.stillValid();
    if (problem) throw new Error(`A staged restore must be applied while no database of ${dataDir} is open, and ${problem}`);
  }
}
