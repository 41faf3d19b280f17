import { createHash, randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The file that holds the generated master key when SENTINEL_MASTER_KEY is not set. */
export const MASTER_KEY_FILE = '.master-key';

export interface MasterKey {
  /** 32 bytes for AES-256-GCM. */
  readonly key: Buffer;
  /** A short fingerprint stored beside each secret, so a wrong key is told apart from corrupt data. */
  readonly id: string;
  readonly source: 'environment' | 'key-file';
}

function fingerprint(key: Buffer): string {
  return createHash('sha256').update('sentinel-backup/key-id').update(key).digest('hex').slice(0, 8);
}

/**
 * SENTINEL_MASTER_KEY as 64 hex characters or base64 of 32 bytes is used as it is; anything else
 * (at least 16 characters) is a passphrase stretched with scrypt. The salt is fixed because there is
 * nowhere else to keep it that config.db would not also hold; the passphrase's strength is what counts.
 */
export function keyFromEnvironment(value: string): MasterKey {
  let key: Buffer;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/]{43}=$/.test(value)) key = Buffer.from(value, 'base64');
  else key = scryptSync(value, 'sentinel-backup/master-key/v1', 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return { key, id: fingerprint(key), source: 'environment' };
}

/**
 * Reads the key file in the data directory, or creates it (owner-only, written in one step with
 * O_EXCL so two starting processes cannot write different keys). It lives beside config.db but is
 * not a database, so backups never contain it: a copy of config.db alone cannot reveal the secrets.
 */
export function keyFromFile(dataDir: string): MasterKey {
  const file = path.join(dataDir, MASTER_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) {
    const fresh = randomBytes(32).toString('hex');
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      try {
        fs.writeSync(fd, `${fresh}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) {
    // Never echo the content: it may be most of a key.
    throw new Error(
      `The master key file ${file} is damaged: it must hold 64 hex characters (a key of 32 bytes), it holds ${text.length} characters that are not one. ` +
        'The secrets stored in config.db (the R2 keys) can only be read with that exact key. Put your own copy of the file back (mode 0600), ' +
        'or set SENTINEL_MASTER_KEY to the key (its 64 hex characters); if the key is lost, move the file away: the service then creates a new key ' +
        'and the stored secrets must be entered again',
    );
  }
  // Tighten permissions if someone loosened them: the file is as sensitive as the secrets.
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  const key = Buffer.from(text, 'hex');
  return { key, id: fingerprint(key), source: 'key-file' };
}
