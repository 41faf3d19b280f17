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

describe('nameAction of several settings saved at once', () => {
  const secret = 'a'.repeat(20) + '0123456789abcdef0123456789abcdef0123456789ab';

  it('keeps the keys, in the order sent, and never a value', () => {
    const named = nameAction('PUT', '/api/settings', { values: { r2_bucket_name: 'backups', r2_secret_access_key: secret, r2_backup_enabled: 1 } });
    expect(named).toEqual({ action: 'settings.change', target: null, subject: 'r2_bucket_name, r2_secret_access_key, r2_backup_enabled' });
    expect(JSON.stringify(named)).not.toContain(secret);
  });

  it('keeps no key that lacks a setting key’s shape: a secret sent in a key’s place is not kept', () => {
    const named = nameAction('PUT', '/api/settings/', { values: { [secret]: 'x', [secret.toUpperCase()]: 'y', r2_prefix: 'p' } });
    expect(named).toEqual({ action: 'settings.change', target: null, subject: 'r2_prefix' });
  });

  it.each([
    ['no body', undefined],
    ['no values', {}],
    ['values not an object', { values: 'r2_bucket_name' }],
    ['values a list', { values: ['r2_bucket_name'] }],
    ['no key', { values: {} }],
  ])('keeps no subject for %s', (_what, body) => {
    expect(nameAction('PUT', '/api/settings', body)).toEqual({ action: 'settings.change', target: null, subject: null });
  });

  it('still names one setting changed by its path', () => {
    expect(nameAction('PUT', '/api/settings/r2_bucket_name', { value: 'backups' })).toEqual({
      action: 'setting.change',
      target: null,
      subject: 'r2_bucket_name',
    });
  });
});
