import { Injectable, type PipeTransform } from '@nestjs/common';
import { type BackupTarget, isBackupTarget } from '../backup-target.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';

/**
 * Checks the shape of the `:target` path segment (a target id); anything else is 404, as an unknown path.
 * Whether the target exists is answered where it is used (StorageTargets.get: 404 naming the ids there are).
 */
@Injectable()
export class BackupTargetPipe implements PipeTransform<string, BackupTarget> {
  transform(value: string): BackupTarget {
    if (!isBackupTarget(value)) {
      const shown = String(value as unknown).slice(0, 40);
      throw new DomainError(ErrorCode.NotFound, `Unknown backup target '${shown}': use 'local', 'r2' or the id of a target of GET /api/targets`, {
        target: shown,
      });
    }
    return value;
  }
}
