import { describe, expect, it } from '@jest/globals';
import { nameAction } from './audit-actions.js';

describe('nameAction of a restore', () => {
  const key = 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ';

  it('keeps a backup name as the subject', () => {
    const named = nameAction('POST', '/api/backups/local/restore', { filename: 'sentinel-backup-2026-01-08-143022.tar.gz.age' });
    expect(named).toEqual({ action: 'restore.stage', target: 'local', subject: 'sentinel-backup-2026-01-08-143022.tar.gz.age' });
  });

  it.each([
    ['a recovery key sent as the filename', key],
    ['a lower-case one', key.toLowerCase()],
    ['free text', 'please restore yesterday'],
  ])('keeps no subject for %s', (_what, filename) => {
    const named = nameAction('POST', '/api/backups/local/restore', { filename, identity: 'sentinel-backup-2026-01-08-143022.tar.gz.age' });
    expect(named).toEqual({ action: 'restore.stage', target: 'local', subject: null });
    expect(JSON.stringify(named)).not.toMatch(/AGE-SECRET-KEY/i);
  });

  it('keeps the archive of a restore applied now as the subject, and nothing that is not a backup name', () => {
    expect(nameAction('POST', '/api/restore/apply', { archive: 'sentinel-backup-2026-01-08-143022.tar.gz' })).toEqual({
      action: 'restore.apply-now',
      target: null,
      subject: 'sentinel-backup-2026-01-08-143022.tar.gz',
    });
    expect(nameAction('POST', '/api/restore/apply', { archive: key })).toEqual({ action: 'restore.apply-now', target: null, subject: null });
  });

  it('keeps the target of a restore applied now when the body names one, and nothing that is not a target id', () => {
    const archive = 'sentinel-backup-2026-01-08-143022.tar.gz';
    expect(nameAction('POST', '/api/restore/apply', { archive, target: 'r2' })).toEqual({ action: 'restore.apply-now', target: 'r2', subject: archive });
    expect(nameAction('POST', '/api/restore/apply', { archive, target: key })).toEqual({ action: 'restore.apply-now', target: null, subject: archive });
  });
});
