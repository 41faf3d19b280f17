import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DataDirLock } from '../../common/lifecycle/data-dir-lock.js';
import { AppConfig } from '../../config/app-config.js';
import { DatabasesClosed } from '../apply/databases-closed.js';

/**
 * DATA_DIR's lock, for the restore core on its own (RestoreCoreModule.standalone): taken when the
 * module is built, before anything reads DATA_DIR, and released when it is closed. While a service
 * runs on DATA_DIR the build fails with DataDirLockError, naming the service and what to do.
 */
@Injectable()
export class DataDirLockHolder implements OnApplicationShutdown {
  readonly lock: DataDirLock;

  constructor(config: AppConfig) {
    this.lock = DataDirLock.acquire(config.env.dataDir);
  }

  /** What RestoreApplier.applyPending asks for. */
  databasesClosed(): DatabasesClosed {
    return DatabasesClosed.byLock(this.lock);
  }

  onApplicationShutdown(): void {
    this.lock.release();
  }
}
