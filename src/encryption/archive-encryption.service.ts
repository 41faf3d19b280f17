import { Injectable } from '@nestjs/common';
import type { BackupTarget } from '../common/backup-target.js';

/**
 * What the backup and restore pipelines ask of encryption (the module's surface for them; the API,
 * keyring and state machine behind it are the encryption module's own). STUB: implemented by the keys engineer.
 */
@Injectable()
export class ArchiveEncryption {
  /**
   * The recipients (`age1...`) a new backup of `target` is encrypted to: the target's current identity's
   * recipient (or, in write-only mode, its public recipient alone) plus the user's own extra recipients.
   * undefined when encryption is not active for the target (off, or awaiting confirmation of the
   * recovery key): the backup is written as a plain `.tar.gz`.
   */
  async recipientsFor(target: BackupTarget): Promise<string[] | undefined> {
    void target;
    return undefined;
  }

  /**
   * Every identity (`AGE-SECRET-KEY-1...`) the server holds for `target`: the current one and older ones of
   * its keyring, for decrypting. Empty when the server holds none (write-only mode, or never enabled).
   * Secrets: never log them, never put them in an error or event.
   */
  async identitiesFor(target: BackupTarget): Promise<string[]> {
    void target;
    return [];
  }
}
