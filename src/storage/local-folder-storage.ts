import { Injectable } from '@nestjs/common';
import { DiskSpace } from '../common/fs/disk-space.service.js';
import { LeftoverSweeper } from '../common/fs/leftover-sweeper.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { SettingsService } from '../settings/settings.service.js';
import { FolderStorage } from './folder-storage.js';
import { StorageOptions } from './storage-options.js';

/** The built-in `local` target: the folder of local_backup_dir (DATA_DIR/backups by default). */
@Injectable()
export class LocalFolderStorage extends FolderStorage {
  constructor(settings: SettingsService, options: StorageOptions, sweeper: LeftoverSweeper, registry: DatabaseRegistry, disk: DiskSpace) {
    super('local', 'local_backup_dir', () => settings.localBackupDir(), options, { sweeper, registry, disk });
  }
}
