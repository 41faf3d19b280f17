import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

  it('refuses the loopback spelled localhost, 127.0.0.1, 127.1.2.3 or [::1], and a trailing dot on the host', () => {
    const rgw = s3('rgw', { endpoint: 'http://localhost:7480' });
    for (const endpoint of ['http://127.0.0.1:7480', 'http://127.1.2.3:7480', 'http://[::1]:7480', 'http://LOCALHOST.:7480/']) {
      const other = s3('other', { endpoint });
      expect(() => checkAgainst(other, [rgw, other])).toThrow(/is where target 'rgw' keeps its backups/);
    }
    const ceph = s3('ceph', { endpoint: 'https://s3.example.com' });
    const dotted = s3('dotted', { endpoint: 'https://s3.example.com.:443' });
    expect(() => checkAgainst(dotted, [ceph, dotted])).toThrow(/is where target 'ceph' keeps its backups/);
  });

  it("refuses AWS's us-east-1 spelled s3.amazonaws.com, s3.us-east-1, s3-external-1 or s3.dualstack, and s3-<region> for s3.<region>", () => {
    const aws = s3('aws', { endpoint: 'https://s3.amazonaws.com', region: 'us-east-1' });
    for (const endpoint of ['https://s3.us-east-1.amazonaws.com', 'https://s3-external-1.amazonaws.com', 'https://s3.dualstack.us-east-1.amazonaws.com']) {
      const other = s3('other', { endpoint, region: 'us-east-1' });
      expect(() => checkAgainst(other, [aws, other])).toThrow(/is where target 'aws' keeps its backups/);
    }
    const eu = s3('eu', { endpoint: 'https://s3.eu-west-1.amazonaws.com' });
    const dashed = s3('dashed', { endpoint: 'https://s3-eu-west-1.amazonaws.com' });
    expect(() => checkAgainst(dashed, [eu, dashed])).toThrow(/is where target 'eu' keeps its backups/);
  });

  it('accepts another loopback port, another AWS region, or http and https of one host (two ports)', () => {
    const rgw = s3('rgw', { endpoint: 'http://localhost:7480' });
    const aws = s3('aws', { endpoint: 'https://s3.amazonaws.com' });
    for (const [base, endpoint] of [
      [rgw, 'http://127.0.0.1:7481'],
      [aws, 'https://s3.eu-west-1.amazonaws.com'],
      [rgw, 'https://localhost:7480'],
    ] as const) {
      const other = s3('other', { endpoint });
      expect(() => checkAgainst(other, [base, other])).not.toThrow();
    }
  });
});

function folder(id: string, dir: string): TargetDefinition {
  return { ...s3(id, {}), kind: 'folder', endpoint: '', bucket: '', path: dir };
}

describe('checkAgainst: two folder targets in one place', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-place-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('refuses a second path to the same folder through a symbolic link, existing or not yet created', () => {
    fs.mkdirSync(path.join(root, 'disk'));
    fs.symlinkSync(path.join(root, 'disk'), path.join(root, 'mnt'));
    for (const [a, b] of [
      ['disk', 'mnt'],
      ['disk/backups', 'mnt/backups'],
    ]) {
      const nas = folder('nas', path.join(root, a));
      const other = folder('other', path.join(root, b));
      expect(() => checkAgainst(other, [nas, other])).toThrow(/is where target 'nas' keeps its backups/);
    }
  });

  it('refuses the same folder by its identity (device and inode) when the paths differ only in case on a case-insensitive disk', () => {
    // No vfat/exFAT disk here: a case-insensitive spelling is stood in for by the folder's identity being equal,
    // which is what such a disk (or a bind mount) gives two different paths.
    const dir = path.join(root, 'Backups');
    fs.mkdirSync(dir);
    const lower = path.join(root, 'backups');
    if (fs.existsSync(lower)) {
      // A case-insensitive file system: the real test.
      expect(() => checkAgainst(folder('other', lower), [folder('nas', dir), folder('other', lower)])).toThrow(/keeps its backups/);
    }
    const nas = folder('nas', dir);
    const inside = folder('inside', path.join(dir, 'sub'));
    expect(() => checkAgainst(inside, [nas, inside])).not.toThrow();
  });

  it('refuses the same folder reached through a bind mount (root only: skipped where mount --bind is not allowed)', () => {
    const disk = path.join(root, 'disk');
    const mnt = path.join(root, 'mnt');
    fs.mkdirSync(disk);
    fs.mkdirSync(mnt);
    try {
      execFileSync('mount', ['--bind', disk, mnt], { stdio: 'ignore' });
    } catch {
      return; // Not root, or no mount namespace allowed: what this covers is then untested here.
    }
    try {
      for (const sub of ['', 'backups']) {
        const nas = folder('nas', path.join(disk, sub));
        const other = folder('other', path.join(mnt, sub));
        expect(() => checkAgainst(other, [nas, other])).toThrow(/is where target 'nas' keeps its backups/);
      }
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
