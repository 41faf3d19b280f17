import { Injectable, type OnModuleInit } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { keyFromEnvironment, keyFromFile, MASTER_KEY_FILE, type MasterKey } from './master-key.js';

const PREFIX = 'enc:v1';

/**
 * Encrypts secret settings with AES-256-GCM (authenticated: a changed byte fails to decrypt).
 * The setting's key is the additional authenticated data, so a ciphertext moved to another key
 * does not decrypt either. Stored form: `enc:v1:<key id>:<iv>:<tag>:<ciphertext>` (base64url).
 */
@Injectable()
export class SecretCipher implements OnModuleInit {
  private masterKey: MasterKey | undefined;

  constructor(private readonly config: AppConfig) {}

  /**
   * The key is loaded (or created) at start, so a damaged or unreadable key file stops the start with
   * its name and what to do, instead of the first secret write answering 500 much later.
   */
  onModuleInit(): void {
    this.key();
  }

  /** Where the key comes from, for the status endpoint; loads it on first use. */
  get keySource(): MasterKey['source'] {
    return this.key().source;
  }

  encrypt(settingKey: string, plaintext: string): string {
    const { key, id } = this.key();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(settingKey, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [PREFIX, id, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join(':');
  }

  static isEncrypted(stored: string): boolean {
    return stored.startsWith(`${PREFIX}:`);
  }

  decrypt(settingKey: string, stored: string): string {
    const parts = stored.split(':');
    const unreadable = (why: string) =>
      new DomainError(ErrorCode.SecretUnreadable, `The stored ${settingKey} cannot be read (${why}). Enter it again in Settings → Backup`, { key: settingKey });
    if (parts.length !== 6 || `${parts[0]}:${parts[1]}` !== PREFIX) throw unreadable('it is not in the encrypted format');
    const [, , keyId, iv, tag, ciphertext] = parts;
    const { key, id } = this.key();
    if (keyId !== id) {
      throw new DomainError(
        ErrorCode.SecretUnreadable,
        `The stored ${settingKey} was encrypted under a different master key than the current one (${this.keySourceLabel()}): the key changed. ` +
          'Set SENTINEL_MASTER_KEY back to the previous key. Enter it again in Settings → Backup if that key is lost',
        { key: settingKey },
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(settingKey, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw unreadable('it fails authentication: damaged or altered');
    }
  }

  /** Where the current key comes from, in the words of the configuration. */
  keySourceLabel(): string {
    return this.key().source === 'environment' ? 'from SENTINEL_MASTER_KEY' : `from ${MASTER_KEY_FILE} in DATA_DIR`;
  }

  private key(): MasterKey {
    this.masterKey ??= this.config.env.masterKey ? keyFromEnvironment(this.config.env.masterKey) : keyFromFile(this.config.env.dataDir);
    return this.masterKey;
  }
}
