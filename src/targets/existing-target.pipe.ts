import { Injectable, type PipeTransform } from '@nestjs/common';
import { BACKUP_TARGETS, type BackupTarget } from '../common/backup-target.js';
import { BackupTargetPipe } from '../common/pipes/backup-target.pipe.js';
import { TargetDirectory } from './target-directory.js';

/**
 * The `:target` path segment of an endpoint that does not reach the target's storage (encryption keys):
 * an id of the right shape that names no target answers 404, as StorageTargets.get does for the backup
 * endpoints. The built-ins exist without a lookup, so their endpoints work while config.db cannot be read.
 */
@Injectable()
export class ExistingTargetPipe implements PipeTransform<string, Promise<BackupTarget>> {
  private readonly shape = new BackupTargetPipe();

  constructor(private readonly directory: TargetDirectory) {}

  async transform(value: string): Promise<BackupTarget> {
    const target = this.shape.transform(value);
    if (!(BACKUP_TARGETS as readonly string[]).includes(target)) await this.directory.get(target);
    return target;
  }
}
