import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';

/**
 * The replica holds an archive of that name with other bytes, which the service cannot prove it made: that one
 * backup is not copied (its object is left as it is), and the replication goes on with the others.
 */
export class ReplicaNameTaken extends DomainError {
  constructor(message: string, filename: string) {
    super(ErrorCode.ReplicationFailed, message, { filename });
  }
}
