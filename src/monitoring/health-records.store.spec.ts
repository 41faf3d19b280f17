import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { HEALTH_RECORDS_FILE, HealthRecordsStore } from './health-records.store.js';

describe('HealthRecordsStore with a damaged file', () => {
  let dir: string;
  let file: string;
  let store: HealthRecordsStore;
  const config = () => ({ env: { dataDir: dir } }) as AppConfig;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'health-records-'));
    file = path.join(dir, HEALTH_RECORDS_FILE);
  });
  afterEach(async () => {
    await store?.onModuleDestroy();
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads each field of the wrong type as its default, keeps the good ones, and warns once naming the file', async () => {
    const good = { time: '2026-06-01T03:00:00.000Z', code: 'STORAGE_UNREACHABLE', message: 'R2 cannot be reached' };
    fs.writeFileSync(
      file,
      JSON.stringify({
        local: {
          enabled: 'yes',
          enabledAt: 'not a time',
          firstSeenAt: '2026-05-01T00:00:00.000Z',
          preJobFailures: null,
          preJobFailuresTotal: '3',
          lastVerification: { time: 5, filename: 'x', verdict: 'passed' },
          restoresApplied: -1,
        },
        r2: { enabled: true, preJobFailures: [good, { time: 'yesterday', code: 1 }], preJobFailuresTotal: 7.5, restoresApplied: 2 },
      }),
    );
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    store = new HealthRecordsStore(config());
    await store.onModuleInit();
    expect(store.get('local')).toEqual({
      enabled: null,
      enabledAt: null,
      firstSeenAt: '2026-05-01T00:00:00.000Z',
      preJobFailures: [],
      preJobFailuresTotal: 0,
      lastVerification: null,
      restoresApplied: 0,
    });
    expect(store.get('r2')).toMatchObject({ enabled: true, preJobFailures: [], preJobFailuresTotal: 0, restoresApplied: 2 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toContain(file);
    expect(warn.mock.calls[0][0]).toContain('local.preJobFailures');
    expect(warn.mock.calls[0][0]).toContain('r2.preJobFailuresTotal');
    // The listeners that write it work again: the damaged values are replaced by the next change.
    await store.addPreJobFailure('local', good);
    expect(store.get('local')).toMatchObject({ preJobFailures: [good], preJobFailuresTotal: 1 });
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).local.preJobFailuresTotal).toBe(1);
  });

  it('a top-level value that is not an object, or a target that is not one, is read as no records', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    fs.writeFileSync(file, '[1, 2]');
    store = new HealthRecordsStore(config());
    await store.onModuleInit();
    expect(store.get('local').preJobFailures).toEqual([]);
    fs.writeFileSync(file, JSON.stringify({ local: 'x', r2: null }));
    const again = new HealthRecordsStore(config());
    await again.onModuleInit();
    expect(again.get('r2')).toMatchObject({ enabled: null, restoresApplied: 0 });
  });

  it('a file that cannot be read (a folder in its place) stops the start, naming the file and what to do', async () => {
    fs.mkdirSync(file);
    store = new HealthRecordsStore(config());
    await expect(store.onModuleInit()).rejects.toThrow(
      `${file} (the health records) cannot be read: it is a folder, not a file. Move that folder out of DATA_DIR`,
    );
  });
});
