import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { parseEnvironment } from '../config/environment.js';
import { DomainError } from '../common/errors/domain-error.js';
import { MASTER_KEY_FILE } from './master-key.js';
import { SecretCipher } from './secret-cipher.js';

function cipher(raw: Record<string, string>): SecretCipher {
  const config: AppConfig = { env: parseEnvironment(raw) };
  return new SecretCipher(config);
}

describe('SecretCipher', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cipher-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips a secret and never stores it in the clear', () => {
    const c = cipher({ DATA_DIR: dir, SENTINEL_MASTER_KEY: 'a passphrase that is long enough' });
    const stored = c.encrypt('r2_secret_access_key', 'top-secret-value');
    expect(stored).toMatch(/^enc:v1:[0-9a-f]{8}:/);
    expect(stored).not.toContain('top-secret-value');
    expect(c.decrypt('r2_secret_access_key', stored)).toBe('top-secret-value');
    // A fresh IV each time.
    expect(c.encrypt('r2_secret_access_key', 'top-secret-value')).not.toBe(stored);
  });

  it('refuses a ciphertext moved to another key, altered, or made under another master key', () => {
    const c = cipher({ DATA_DIR: dir, SENTINEL_MASTER_KEY: 'a passphrase that is long enough' });
    const stored = c.encrypt('r2_secret_access_key', 'top-secret-value');
    expect(() => c.decrypt('r2_access_key_id', stored)).toThrow(/fails authentication/);
    const parts = stored.split(':');
    const body = Buffer.from(parts[5], 'base64url');
    body[0] ^= 1;
    parts[5] = body.toString('base64url');
    expect(() => c.decrypt('r2_secret_access_key', parts.join(':'))).toThrow(DomainError);
    const other = cipher({ DATA_DIR: dir, SENTINEL_MASTER_KEY: 'another passphrase, also long' });
    expect(() => other.decrypt('r2_secret_access_key', stored)).toThrow(/different master key.*Enter it again/);
  });

  it('accepts a 64-hex or base64 key as it is', () => {
    const hex = 'ab'.repeat(32);
    const fromHex = cipher({ DATA_DIR: dir, SENTINEL_MASTER_KEY: hex });
    const fromBase64 = cipher({ DATA_DIR: dir, SENTINEL_MASTER_KEY: Buffer.from(hex, 'hex').toString('base64') });
    expect(fromBase64.decrypt('k', fromHex.encrypt('k', 'v'))).toBe('v');
  });

  it('creates an owner-only key file when no master key is configured, and reuses it', () => {
    const first = cipher({ DATA_DIR: dir });
    const stored = first.encrypt('k', 'v');
    expect(first.keySource).toBe('key-file');
    const file = path.join(dir, MASTER_KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(cipher({ DATA_DIR: dir }).decrypt('k', stored)).toBe('v');
    fs.chmodSync(file, 0o644);
    cipher({ DATA_DIR: dir }).encrypt('k', 'v');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('tells a damaged key file apart', () => {
    fs.writeFileSync(path.join(dir, MASTER_KEY_FILE), 'garbage');
    expect(() => cipher({ DATA_DIR: dir }).encrypt('k', 'v')).toThrow(/master key file .* is damaged/);
  });
});
