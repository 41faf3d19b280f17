import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';

/**
 * An upload under a key the store already holds. No adapter ever replaces an object: two writers that chose
 * one name (a replica's own backup and a copy replicated into it, in the same second) would otherwise
 * overwrite each other's archive, and its owner marker, without a word. The one that stored first keeps it.
 */
export class ObjectExists extends DomainError {
  constructor(target: string, key: string, where: string) {
    super(
      ErrorCode.ObjectExists,
      `'${key}' already exists in ${where}: an archive is never replaced, so nothing was written. ` +
        `Another backup or copy stored that name first; the one there is left as it is`,
      { target, key },
    );
  }
}
