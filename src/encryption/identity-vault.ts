import { Injectable } from '@nestjs/common';
import type { BackupTarget } from '../common/backup-target.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { SecretCipher } from '../settings/secret-cipher.js';

/**
 * Seals identities under the master key (the settings' SecretCipher, AES-256-GCM) before they reach
 * `.encryption.db`, and opens them again. The target and the recipient are the authenticated data: a sealed
 * identity copied to another target's or key's row does not open.
 */
@Injectable()
export class IdentityVault {
  constructor(private readonly cipher: SecretCipher) {}

  seal(target: BackupTarget, recipient: string, identity: string): string {
    return this.cipher.encrypt(aad(target, recipient), identity);
  }

  open(target: BackupTarget, recipient: string, sealed: string): string {
    try {
      return this.cipher.decrypt(aad(target, recipient), sealed);
    } catch (error) {
      // SecretCipher's own message speaks of settings; this one says what the key is for. Neither holds the secret.
      throw new DomainError(
        ErrorCode.SecretUnreadable,
        `The stored identity of key ${recipient} (${target} backups) cannot be decrypted with the current master key (${this.cipher.keySourceLabel()}): ` +
          'the master key changed, or .encryption.db was altered. Set SENTINEL_MASTER_KEY (or DATA_DIR/.master-key) back to the key it was stored under; ' +
          'until then, give the recovery key with the restore or verify request',
        { target, recipient },
        { cause: error },
      );
    }
  }
}

function aad(target: BackupTarget, recipient: string): string {
  return `encryption.identity:${target}:${recipient}`;
}
