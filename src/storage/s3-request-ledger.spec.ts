import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/app-config.js';
import { S3_REQUESTS_FILE, S3RequestLedger } from './s3-request-ledger.js';

describe('S3RequestLedger', () => {
  let dir: string;
  let now: Date;
  const clock = { now: () => now } as Clock;
  const ledgerIn = (dataDir: string) => new S3RequestLedger({ env: { dataDir } } as AppConfig, clock);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
    now = new Date('2026-03-08T12:00:00Z');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps the counts per target and class across a restart, and reads only the last 30 UTC days', async () => {
    const first = ledgerIn(dir);
    await first.onModuleInit();
    first.count('r2', 'A');
    first.count('r2', 'A');
    first.count('r2', 'B');
    first.count('b2', 'free');
    expect(await first.lastDays(30)).toEqual(
      new Map([
        ['r2', { classA: 2, classB: 1, free: 0 }],
        ['b2', { classA: 0, classB: 0, free: 1 }],
      ]),
    );
    await first.onModuleDestroy();
    expect(fs.existsSync(path.join(dir, S3_REQUESTS_FILE))).toBe(true);

    const second = ledgerIn(dir);
    await second.onModuleInit();
    second.count('r2', 'A');
    expect((await second.lastDays(30)).get('r2')).toEqual({ classA: 3, classB: 1, free: 0 });
    // 29 days later the first day is still in the window; 30 days later it is not.
    now = new Date('2026-04-06T12:00:00Z');
    expect((await second.lastDays(30)).get('r2')).toEqual({ classA: 3, classB: 1, free: 0 });
    now = new Date('2026-04-07T12:00:00Z');
    expect((await second.lastDays(30)).get('r2')).toBeUndefined();
    await second.onModuleDestroy();
  });

  it("forgets a target's counts, written and pending, and keeps the others'; across a restart too", async () => {
    const ledger = ledgerIn(dir);
    await ledger.onModuleInit();
    ledger.count('gone', 'A');
    ledger.count('kept', 'B');
    await ledger.flush();
    // Pending again after the write: both kinds are forgotten.
    ledger.count('gone', 'A');
    ledger.count('kept', 'B');
    await ledger.forgetTarget('gone');
    expect(await ledger.lastDays(30)).toEqual(new Map([['kept', { classA: 0, classB: 2, free: 0 }]]));
    await ledger.onModuleDestroy();

    const again = ledgerIn(dir);
    await again.onModuleInit();
    expect(await again.lastDays(30)).toEqual(new Map([['kept', { classA: 0, classB: 2, free: 0 }]]));
    // A target added later under the forgotten id counts from nothing.
    again.count('gone', 'free');
    expect((await again.lastDays(30)).get('gone')).toEqual({ classA: 0, classB: 0, free: 1 });
    await again.onModuleDestroy();
  });

  it('counts in memory when the file cannot be created, without failing the start', async () => {
    const blocked = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocked, 'a file where DATA_DIR should be');
    const ledger = ledgerIn(blocked);
    await ledger.onModuleInit();
    ledger.count('r2', 'B');
    expect((await ledger.lastDays(30)).get('r2')).toEqual({ classA: 0, classB: 1, free: 0 });
    await ledger.onModuleDestroy();
  });
});
