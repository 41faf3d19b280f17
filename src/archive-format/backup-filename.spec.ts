import { backupFilename, isEncryptedBackupName, parseBackupFilename, parseBackupName } from './backup-filename.js';

describe('backup names', () => {
  const at = new Date(Date.UTC(2026, 0, 8, 14, 30, 22));

  it('names a plain archive .tar.gz and an encrypted one .tar.gz.age, by the same UTC time', () => {
    expect(backupFilename(at)).toBe('sentinel-backup-2026-01-08-143022.tar.gz');
    expect(backupFilename(at, { encrypted: false })).toBe('sentinel-backup-2026-01-08-143022.tar.gz');
    expect(backupFilename(at, { encrypted: true })).toBe('sentinel-backup-2026-01-08-143022.tar.gz.age');
  });

  it('reads the time from both kinds and tells which kind a name is', () => {
    expect(parseBackupName('sentinel-backup-2026-01-08-143022.tar.gz')).toEqual({ at, encrypted: false });
    expect(parseBackupName('sentinel-backup-2026-01-08-143022.tar.gz.age')).toEqual({ at, encrypted: true });
    expect(parseBackupFilename('sentinel-backup-2026-01-08-143022.tar.gz.age')).toEqual(at);
    expect(isEncryptedBackupName('sentinel-backup-2026-01-08-143022.tar.gz.age')).toBe(true);
    expect(isEncryptedBackupName('sentinel-backup-2026-01-08-143022.tar.gz')).toBe(false);
  });

  it.each([
    'sentinel-backup-2026-01-08-143022.tar.age',
    'sentinel-backup-2026-01-08-143022.tar.gz.age.age',
    'sentinel-backup-2026-01-08-143022.age',
    'sentinel-backup-2026-01-08-143022.tar.gz.AGE',
    'sentinel-backup-2026-02-31-143022.tar.gz.age',
    '.sentinel-backup-2026-01-08-143022.tar.gz.age.owner',
  ])('is not a backup name: %s', (name) => {
    expect(parseBackupName(name)).toBeUndefined();
    expect(isEncryptedBackupName(name)).toBe(false);
  });
});
