import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';

/**
 * A chain that cannot be rebuilt: the message names the increment (and the database, when one is at fault),
 * what was wrong, and that the points before it still restore. ARCHIVE_INVALID, as a damaged full archive.
 */
export class IncrementChainError extends DomainError {
  constructor(
    readonly increment: string,
    readonly database: string | undefined,
    problem: string,
  ) {
    super(
      ErrorCode.ArchiveInvalid,
      `Increment ${increment}${database ? `, database ${database}` : ''}: ${problem}. This point cannot be restored; the points before it still can`,
      { increment, ...(database ? { database } : {}) },
    );
    this.name = 'IncrementChainError';
  }
}
