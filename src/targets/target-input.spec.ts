import type { TargetDefinition } from './target-definition.js';
import { checkAgainst } from './target-input.js';

function s3(id: string, fields: Partial<TargetDefinition>): TargetDefinition {
  return {
    id,
    label: id,
    kind: 's3',
    builtIn: id === 'r2',
    enabled: true,
    endpoint: '',
    region: 'auto',
    bucket: 'backups',
    prefix: '',
    accessKeyId: '',
    secretAccessKey: '',
    path: '',
    schedule: 'daily',
    retention: { retentionDays: 90, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null },
    replicateFrom: null,
    objectLock: null,
    ...fields,
  };
}

describe('checkAgainst: two S3 targets in one place', () => {
  // Each would list the other's archives as its own, and its rotation would delete them.
  it('refuses an added target at the account-ID endpoint of an r2 configured by r2_account_id alone', () => {
    const r2 = s3('r2', { endpoint: '', accountId: 'abc123' });
    const copy = s3('r2-copy', { endpoint: 'https://abc123.r2.cloudflarestorage.com' });
    expect(() => checkAgainst(copy, [r2, copy])).toThrow(/is where target 'r2' keeps its backups/);
  });

  it('refuses the same endpoint spelled with an upper-case host, the default port or a trailing slash', () => {
    const nas = s3('nas', { endpoint: 'https://minio.example' });
    for (const endpoint of ['https://MINIO.example', 'https://minio.example:443', 'https://minio.example/']) {
      const other = s3('other', { endpoint });
      expect(() => checkAgainst(other, [nas, other])).toThrow(/is where target 'nas' keeps its backups/);
    }
  });

  it('accepts another account, another port or another prefix', () => {
    const r2 = s3('r2', { endpoint: '', accountId: 'abc123' });
    for (const fields of [
      { endpoint: 'https://other.r2.cloudflarestorage.com' },
      { endpoint: 'https://abc123.r2.cloudflarestorage.com:8443' },
      { endpoint: 'https://abc123.r2.cloudflarestorage.com', prefix: 'copy/' },
    ]) {
      const other = s3('other', fields);
      expect(() => checkAgainst(other, [r2, other])).not.toThrow();
    }
  });
});
