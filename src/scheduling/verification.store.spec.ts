import { jest } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import type { VerificationReport } from '../restore/backup-verifier.service.js';
import { VERIFICATIONS_FILE, VerificationStore } from './verification.store.js';

describe('VerificationStore', () => {
  let dataDir: string;
  const report = (target: 'local' | 'r2', ok: boolean): VerificationReport => ({
    target,
    archive: 'sentinel-backup-2026-03-08-030000.tar.gz',
    ok,
    message: ok ? 'ok' : 'broken',
    checkedAt: '2026-03-08T03:10:00.000Z',
    durationMs: 10,
    backupTimestamp: null,
    databases: [],
    problem: null,
  });

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verifications-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the latest result per target, readable at once, with no temporary file left', () => {
    const store = new VerificationStore({ env: { dataDir } } as unknown as AppConfig);
    store.save(report('r2', true));
    store.save(report('local', false));
    store.save(report('r2', false));
    expect(store.latest().map((r) => [r.target, r.ok])).toEqual([
      ['local', false],
      ['r2', false],
    ]);
    expect(fs.readdirSync(dataDir)).toEqual([VERIFICATIONS_FILE]);
  });

  it('writes durably: the new file is fsynced before the rename and the folder after it', () => {
    const store = new VerificationStore({ env: { dataDir } } as unknown as AppConfig);
    const steps: string[] = [];
    const fsync = fs.fsyncSync;
    const rename = fs.renameSync;
    jest.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      steps.push(`fsync ${path.basename(fs.readlinkSync(`/proc/self/fd/${String(fd)}`))}`);
      return fsync(fd);
    });
    jest.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      steps.push(`rename to ${path.basename(String(to))}`);
      return rename(from, to);
    });
    store.save(report('local', true));
    expect(steps).toEqual([expect.stringMatching(/^fsync \.backup-verifications\.json\.tmp-\d+$/), `rename to ${VERIFICATIONS_FILE}`, `fsync ${path.basename(dataDir)}`]);
  });
});
