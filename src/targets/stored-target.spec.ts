import type { SecretCipher } from '../settings/secret-cipher.js';
import { parseStoredTarget, sealTarget } from './stored-target.js';
import type { TargetDefinition } from './target-definition.js';

/** Seals by wrapping, and counts how often a secret is opened. */
class CountingCipher {
  opened = 0;
  encrypt(name: string, plaintext: string): string {
    return `sealed(${name}):${Buffer.from(plaintext).toString('base64')}`;
  }
  decrypt(name: string, stored: string): string {
    this.opened++;
    const prefix = `sealed(${name}):`;
    if (!stored.startsWith(prefix)) throw new Error('Cannot open this secret with the master key');
    return Buffer.from(stored.slice(prefix.length), 'base64').toString();
  }
}

const offsite: TargetDefinition = {
  id: 'offsite',
  label: 'Off-site',
  kind: 's3',
  builtIn: false,
  enabled: true,
  endpoint: 'https://s3.example.com',
  region: 'eu-1',
  bucket: 'backups',
  prefix: 'sentinel/',
  accessKeyId: 'AKIA-TEST-ID',
  secretAccessKey: 'the-secret-key',
  path: '',
  schedule: 'hourly',
  retention: { retentionDays: 30, keepHourly: 24, keepDaily: 7, keepWeekly: null, keepMonthly: null, keepYearly: null },
  replicateFrom: null,
  objectLock: null,
  incremental: { enabled: true, full_every: 24, max_chain_ratio: 0.25 },
};

describe('parseStoredTarget', () => {
  const cipher = new CountingCipher();
  const row = { id: 'offsite', definition: sealTarget(offsite, cipher as unknown as SecretCipher), created_at: '2026-12-01T10:00:00.000Z' };
  const warnings: string[] = [];

  beforeEach(() => {
    cipher.opened = 0;
    warnings.length = 0;
  });

  it('reads a row written before incremental backups with the default policy (off), and a damaged policy as the default too', () => {
    const fields = JSON.parse(row.definition) as Record<string, unknown>;
    delete fields.incremental;
    const earlier = parseStoredTarget({ ...row, definition: JSON.stringify(fields) }, undefined, (m) => warnings.push(m));
    expect(earlier?.incremental).toEqual({ enabled: false, full_every: 'daily', max_chain_ratio: 0.5 });
    const damaged = parseStoredTarget({ ...row, definition: JSON.stringify({ ...fields, incremental: { enabled: 'yes' } }) }, undefined, () => undefined);
    expect(damaged?.incremental).toEqual({ enabled: false, full_every: 'daily', max_chain_ratio: 0.5 });
  });

  it('keeps the secrets sealed in the stored row', () => {
    expect(row.definition).not.toContain('the-secret-key');
    expect(row.definition).not.toContain('AKIA-TEST-ID');
  });

  it('with the cipher, opens the secrets and reads every other field back', () => {
    const target = parseStoredTarget(row, cipher as unknown as SecretCipher, (m) => warnings.push(m));
    expect(target).toEqual({ ...offsite, createdAt: row.created_at });
    expect(cipher.opened).toBe(2);
    expect(warnings).toEqual([]);
  });

  it('without a cipher, leaves the secrets sealed (read as blank) and opens nothing: the lists every timer reads', () => {
    const target = parseStoredTarget(row, undefined, (m) => warnings.push(m));
    expect(target).toEqual({ ...offsite, createdAt: row.created_at, accessKeyId: '', secretAccessKey: '' });
    expect(cipher.opened).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('a secret the master key cannot open reads as unset, with a warning naming the target and how to set it again', () => {
    const moved = { ...row, id: 'copied' };
    const target = parseStoredTarget(moved, cipher as unknown as SecretCipher, (m) => warnings.push(m));
    expect(target?.secretAccessKey).toBe('');
    expect(warnings[0]).toContain('Target copied');
    expect(warnings.join('\n')).not.toContain('the-secret-key');
  });
});
