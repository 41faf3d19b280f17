import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../common/errors/domain-error.js';
import { assertBackupName } from './backup-name.js';

function refusal(filename: unknown): DomainError {
  try {
    assertBackupName(filename);
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('accepted');
}

describe('assertBackupName', () => {
  const key = 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ';

  it('never repeats a recovery key sent as the filename, and says where it belongs', () => {
    for (const sent of [key, key.toLowerCase(), ` ${key}\n`]) {
      const error = refusal(sent);
      expect(error.code).toBe('BACKUP_NAME_INVALID');
      expect(error.message).toMatch(/a secret key was sent as filename: send it as identity/i);
      expect(error.message + JSON.stringify(error.details ?? {})).not.toMatch(/AGE-SECRET-KEY/i);
    }
  });

  it('quotes a refused value only when it looks like a name', () => {
    expect(refusal('notes.txt').message).toMatch(/^'notes.txt' is not a backup name: names look like sentinel-backup-/);
    expect(refusal('notes.txt').details).toEqual({ filename: 'notes.txt' });
    for (const odd of ['../../etc/passwd', 'x'.repeat(81), 'a b', 42]) {
      const error = refusal(odd);
      expect(error.message).toMatch(/^That is not a backup name: names look like sentinel-backup-/);
      expect(error.details).toBeUndefined();
    }
  });

  it('accepts both kinds of backup name', () => {
    expect(() => assertBackupName('sentinel-backup-2026-01-08-143022.tar.gz')).not.toThrow();
    expect(() => assertBackupName('sentinel-backup-2026-01-08-143022.tar.gz.age')).not.toThrow();
  });
});
