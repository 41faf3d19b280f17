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

  it('keeps the latest result per target, readable at once, with no temporary file left', async () => {
    const store = new VerificationStore({ env: { dataDir } } as unknown as AppConfig);
    // Started together, as the two targets' weekly verifications can end: neither result is lost.
    const saved = [store.save(report('r2', true)), store.save(report('local', false)), store.save(report('r2', false))];
    expect(store.latest().map((r) => [r.target, r.ok])).toEqual([
      ['local', false],
      ['r2', false],
    ]);
    await Promise.all(saved);
    expect(fs.readdirSync(dataDir)).toEqual([VERIFICATIONS_FILE]);
    // What a restart reads back.
    expect(new VerificationStore({ env: { dataDir } } as unknown as AppConfig).latest().map((r) => [r.target, r.ok])).toEqual([
      ['local', false],
      ['r2', false],
    ]);
  });

  it('writes durably: the new file is fsynced before the rename and the folder after it', async () => {
    const store = new VerificationStore({ env: { dataDir } } as unknown as AppConfig);
    const steps: string[] = [];
    const open = fs.promises.open;
    const rename = fs.promises.rename;
    jest.spyOn(fs.promises, 'open').mockImplementation(async (file, ...rest) => {
      const handle = await open(file, ...rest);
      const sync = handle.sync.bind(handle);
      handle.sync = () => {
        steps.push(`fsync ${path.basename(String(file))}`);
        return sync();
      };
      return handle;
    });
    jest.spyOn(fs.promises, 'rename').mockImplementation((from, to) => {
      steps.push(`rename to ${path.basename(String(to))}`);
      return rename(from, to);
    });
    await store.save(report('local', true));
    expect(steps).toEqual([
      expect.stringMatching(/^fsync \.backup-verifications\.json\.tmp-\d+$/),
      `rename to ${VERIFICATIONS_FILE}`,
      `fsync ${path.basename(dataDir)}`,
    ]);
  });

  it('at start-up, removes the temp files of its own interrupted writes, and only regular files of exactly that name', async () => {
    const store = new VerificationStore({ env: { dataDir } } as unknown as AppConfig);
    fs.writeFileSync(path.join(dataDir, VERIFICATIONS_FILE), '{}\n');
    const stale = [`${VERIFICATIONS_FILE}.tmp-4242`, `${VERIFICATIONS_FILE}.tmp-${process.pid}`];
    for (const name of stale) fs.writeFileSync(path.join(dataDir, name), '{"local": ');
    // Named almost like one, or a folder of exactly that name (a user's, say): not ours to delete.
    const others = [`${VERIFICATIONS_FILE}.tmp-12x`, `${VERIFICATIONS_FILE}.tmp-`, `x${VERIFICATIONS_FILE}.tmp-1`, `${VERIFICATIONS_FILE}.tmp-77/keep.txt`];
    for (const name of others) {
      fs.mkdirSync(path.dirname(path.join(dataDir, name)), { recursive: true });
      fs.writeFileSync(path.join(dataDir, name), 'keep');
    }

    await store.onModuleInit();

    for (const name of stale) expect(fs.existsSync(path.join(dataDir, name))).toBe(false);
    for (const name of others) expect(fs.readFileSync(path.join(dataDir, name), 'utf8')).toBe('keep');
    expect(fs.readFileSync(path.join(dataDir, VERIFICATIONS_FILE), 'utf8')).toBe('{}\n');
  });
});
