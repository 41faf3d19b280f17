import {
  backupFilename,
  backupFilenameOfKind,
  incrementalBackupFilename,
  isEncryptedBackupName,
  namesOfSecond,
  parseBackupFilename,
  parseBackupName,
} from './backup-filename.js';

describe('backup names', () => {
  const at = new Date(Date.UTC(2026, 0, 8, 14, 30, 22));

  it('names a plain archive .tar.gz and an encrypted one .tar.gz.age, by the same UTC time', () => {
    expect(backupFilename(at)).toBe('sentinel-backup-2026-01-08-143022.tar.gz');
    expect(backupFilename(at, { encrypted: false })).toBe('sentinel-backup-2026-01-08-143022.tar.gz');
    expect(backupFilename(at, { encrypted: true })).toBe('sentinel-backup-2026-01-08-143022.tar.gz.age');
  });

  it('reads the time from both kinds and tells which kind a name is', () => {
    expect(parseBackupName('sentinel-backup-2026-01-08-143022.tar.gz')).toEqual({ at, encrypted: false, kind: 'full' });
    expect(parseBackupName('sentinel-backup-2026-01-08-143022.tar.gz.age')).toEqual({ at, encrypted: true, kind: 'full' });
    expect(parseBackupFilename('sentinel-backup-2026-01-08-143022.tar.gz.age')).toEqual(at);
    expect(isEncryptedBackupName('sentinel-backup-2026-01-08-143022.tar.gz.age')).toBe(true);
    expect(isEncryptedBackupName('sentinel-backup-2026-01-08-143022.tar.gz')).toBe(false);
  });

  it('names an increment sentinel-incremental-… by the same UTC time, and reads its kind back', () => {
    expect(incrementalBackupFilename(at)).toBe('sentinel-incremental-2026-01-08-143022.tar.gz');
    expect(incrementalBackupFilename(at, { encrypted: true })).toBe('sentinel-incremental-2026-01-08-143022.tar.gz.age');
    expect(backupFilenameOfKind('incremental', at)).toBe(incrementalBackupFilename(at));
    expect(backupFilenameOfKind('full', at, { encrypted: true })).toBe(backupFilename(at, { encrypted: true }));
    expect(parseBackupName('sentinel-incremental-2026-01-08-143022.tar.gz')).toEqual({ at, encrypted: false, kind: 'incremental' });
    expect(parseBackupName('sentinel-incremental-2026-01-08-143022.tar.gz.age')).toEqual({ at, encrypted: true, kind: 'incremental' });
    expect(parseBackupFilename('sentinel-incremental-2026-01-08-143022.tar.gz')).toEqual(at);
    expect(isEncryptedBackupName('sentinel-incremental-2026-01-08-143022.tar.gz.age')).toBe(true);
  });

  it('lists every name one second can carry: both kinds, both encryptions', () => {
    expect(namesOfSecond(at).sort()).toEqual([
      'sentinel-backup-2026-01-08-143022.tar.gz',
      'sentinel-backup-2026-01-08-143022.tar.gz.age',
      'sentinel-incremental-2026-01-08-143022.tar.gz',
      'sentinel-incremental-2026-01-08-143022.tar.gz.age',
    ]);
  });

  it.each([
    'sentinel-backup-2026-01-08-143022.tar.age',
    'sentinel-backup-2026-01-08-143022.tar.gz.age.age',
    'sentinel-backup-2026-01-08-143022.age',
    'sentinel-backup-2026-01-08-143022.tar.gz.AGE',
    'sentinel-backup-2026-02-31-143022.tar.gz.age',
    '.sentinel-backup-2026-01-08-143022.tar.gz.age.owner',
    'sentinel-increment-2026-01-08-143022.tar.gz',
    'sentinel-incremental-2026-13-08-143022.tar.gz',
    'sentinel-incremental-2026-01-08-143022.tar',
  ])('is not a backup name: %s', (name) => {
    expect(parseBackupName(name)).toBeUndefined();
    expect(isEncryptedBackupName(name)).toBe(false);
  });
});
