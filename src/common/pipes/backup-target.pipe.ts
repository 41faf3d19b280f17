import { Injectable, type PipeTransform } from '@nestjs/common';
import { BACKUP_TARGETS, type BackupTarget, isBackupTarget } from '../backup-target.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';

/** Validates the `:target` path segment (`r2` or `local`); anything else is 404, as an unknown path. */
@Injectable()
export class BackupTargetPipe implements PipeTransform<string, BackupTarget> {
  transform(value: string): BackupTarget {
    if (!isBackupTarget(value)) {
      throw new DomainError(ErrorCode.NotFound, `Unknown backup target '${value}': use ${BACKUP_TARGETS.join(' or ')}`, { target: value });
    }
    return value;
  }
}
