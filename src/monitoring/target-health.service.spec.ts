import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackupRunEntity } from '../backup/backup-run.entity.js';
import { BackupRunStore } from '../backup/backup-run.store.js';
import type { BackupTarget } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/app-config.js';
import { EnvironmentError } from '../config/environment.js';
import type { VerificationReport } from '../restore/backup-verifier.service.js';
import { VerificationStore } from '../scheduling/verification.store.js';
import type { SettingsService } from '../settings/settings.service.js';
import type { TargetDirectory } from '../targets/target-directory.js';
import { TargetRoster } from '../targets/target-roster.js';
import { HealthRecordsStore } from './health-records.store.js';
import { MonitoringOptions } from './monitoring-options.js';
import { TargetHealthService } from './target-health.service.js';

class TestClock extends Clock {
  constructor(public at: number) {
    super();
  }
  override now(): Date {
    return new Date(this.at);
  }
  set(iso: string): void {
    this.at = Date.parse(iso);
  }
}

/** The settings a test sets: only what the health reads (SettingsService.list()). */
class TestSettings {
  values: Record<string, string | number> = { local_backup_enabled: 1, r2_backup_enabled: 0, r2_backup_schedule: 'daily' };
  list(): Promise<Array<{ key: string; value: string | number | null }>> {
    return Promise.resolve(Object.entries(this.values).map(([key, value]) => ({ key, value })));
  }
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('TargetHealthService', () => {
  let dir: string;
  let runs: BackupRunStore;
  let records: HealthRecordsStore;
  let verifications: VerificationStore;
  let settings: TestSettings;
  let clock: TestClock;
  let ids = 0;

  function service(options: { timeZone?: string; grace?: number; schedules?: boolean } = {}): TargetHealthService {
    const config = { env: { dataDir: dir, timeZone: options.timeZone ?? 'UTC', schedulesEnabled: options.schedules ?? true } } as unknown as AppConfig;
    const monitoring: MonitoringOptions = { overdueGrace: options.grace ?? 0.25, storedBackupsMaxAgeMs: 300_000 };
    return new TargetHealthService(
      runs,
      records,
      verifications,
      new TargetRoster(settings as unknown as SettingsService, { added: async () => [] } as unknown as TargetDirectory),
      monitoring,
      config,
      clock,
    );
  }

  async function run(target: BackupTarget, status: 'succeeded' | 'failed', finishedAt: string, extra: Partial<BackupRunEntity> = {}): Promise<void> {
    const finished = Date.parse(finishedAt);
    await runs.save(
      Object.assign(new BackupRunEntity(), {
        id: `job-${++ids}`,
        target,
        trigger: 'scheduled',
        status,
        phase: 'done',
        bytesDone: 0,
        bytesTotal: 0,
        filename: status === 'succeeded' ? `sentinel-backup-${ids}.tar.gz` : null,
        sizeBytes: status === 'succeeded' ? 1234 : null,
        createdAt: new Date(finished - 60_000).toISOString(),
        startedAt: new Date(finished - 60_000).toISOString(),
        finishedAt,
        durationMs: 60_000,
        error: status === 'failed' ? 'R2 refused the credentials: check r2_access_key_id and r2_secret_access_key' : null,
        errorCode: status === 'failed' ? 'STORAGE_ACCESS_DENIED' : null,
        ...extra,
      }),
    );
  }

  beforeEach(async () => {
    ids = 0;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'target-health-'));
    const config = { env: { dataDir: dir } } as AppConfig;
    runs = new BackupRunStore(config);
    await runs.onModuleInit();
    records = new HealthRecordsStore(config);
    await records.onModuleInit();
    verifications = new VerificationStore(config);
    settings = new TestSettings();
    clock = new TestClock(Date.parse('2026-06-01T12:00:00Z'));
  });
  afterEach(async () => {
    await runs.onModuleDestroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a disabled target is disabled, with no next run and no deadline, whatever its history', async () => {
    await run('r2', 'failed', '2026-05-01T03:00:00.000Z');
    const r2 = await service().health('r2');
    expect(r2).toMatchObject({ target: 'r2', state: 'disabled', enabled: false, next_run: null, overdue_at: null, overdue_since: null });
    expect(r2.last_error?.code).toBe('STORAGE_ACCESS_DENIED');
  });

  it('never backed up: "never" until the period plus 25 % has passed since it was first seen enabled, then overdue', async () => {
    const health = service();
    expect(await health.health('local')).toMatchObject({
      state: 'never',
      last_success: null,
      last_attempt: null,
      last_result: null,
      next_run: '2026-06-02T01:00:00.000Z',
    });
    clock.at += 30 * HOUR - 1000;
    expect((await health.health('local')).state).toBe('never');
    clock.at += 1000;
    expect(await health.health('local')).toMatchObject({ state: 'overdue', overdue_since: '2026-06-02T18:00:00.000Z', last_success: null });
  });

  it('first sight is durable: a restart does not restart the count of a target that never succeeded', async () => {
    await service().health('local');
    clock.at += 31 * HOUR;
    const restarted = new HealthRecordsStore({ env: { dataDir: dir } } as AppConfig);
    records = restarted;
    expect((await service().health('local')).state).toBe('overdue');
  });

  it('daily: ok until 24 h + 6 h after the last success, overdue from then, ok again after the next success', async () => {
    await run('local', 'succeeded', '2026-06-01T01:05:00.000Z');
    const health = service();
    clock.set('2026-06-02T07:04:59.000Z');
    expect(await health.health('local')).toMatchObject({
      state: 'ok',
      last_success: '2026-06-01T01:05:00.000Z',
      last_attempt: '2026-06-01T01:05:00.000Z',
      last_result: 'succeeded',
      last_error: null,
      overdue_at: '2026-06-02T07:05:00.000Z',
      overdue_since: null,
      last_backup: { filename: 'sentinel-backup-1.tar.gz', size_bytes: 1234, duration_ms: 60_000 },
      next_run: '2026-06-03T01:00:00.000Z',
    });
    clock.set('2026-06-02T07:05:00.000Z');
    expect(await health.health('local')).toMatchObject({ state: 'overdue', overdue_since: '2026-06-02T07:05:00.000Z' });
    await run('local', 'succeeded', '2026-06-02T08:00:00.000Z');
    expect(await health.health('local')).toMatchObject({ state: 'ok', overdue_since: null, overdue_at: '2026-06-03T14:00:00.000Z' });
  });

  it('weekly R2 schedule: overdue 7 days + 42 h after the last success; next run the coming Sunday 03:00', async () => {
    settings.values = { local_backup_enabled: 0, r2_backup_enabled: 1, r2_backup_schedule: 'weekly' };
    await run('r2', 'succeeded', '2026-05-31T03:10:00.000Z'); // a Sunday
    clock.set('2026-06-01T12:00:00Z');
    const r2 = await service().health('r2');
    expect(r2).toMatchObject({
      state: 'ok',
      next_run: '2026-06-07T03:00:00.000Z',
      overdue_at: new Date(Date.parse('2026-05-31T03:10:00Z') + 7 * DAY + 42 * HOUR).toISOString(),
    });
    clock.at = Date.parse(r2.overdue_at!);
    expect((await service().health('r2')).state).toBe('overdue');
  });

  it('hourly local schedule: overdue an hour and a quarter after the last success; two hours and a half across the repeated hour', async () => {
    settings.values = { local_backup_enabled: 1, r2_backup_enabled: 0, local_backup_schedule: 'hourly' };
    await run('local', 'succeeded', '2026-06-01T10:16:00.000Z');
    clock.set('2026-06-01T10:30:00Z');
    const local = await service({ timeZone: 'Europe/Berlin' }).health('local');
    expect(local).toMatchObject({ state: 'ok', next_run: '2026-06-01T11:15:00.000Z', overdue_at: '2026-06-01T11:31:00.000Z' });
    clock.set('2026-06-01T11:30:59Z');
    expect((await service({ timeZone: 'Europe/Berlin' }).health('local')).state).toBe('ok');
    clock.set('2026-06-01T11:31:00Z');
    expect(await service({ timeZone: 'Europe/Berlin' }).health('local')).toMatchObject({ state: 'overdue', overdue_since: '2026-06-01T11:31:00.000Z' });

    // 25 October: 02:15 CEST (00:15Z) runs, the repeated 02:15 CET does not; the next run is 03:15 CET, two hours later.
    await run('local', 'succeeded', '2026-10-25T00:16:00.000Z');
    clock.set('2026-10-25T01:30:00Z');
    expect(await service({ timeZone: 'Europe/Berlin' }).health('local')).toMatchObject({
      state: 'ok',
      next_run: '2026-10-25T02:15:00.000Z',
      overdue_at: new Date(Date.parse('2026-10-25T00:16:00Z') + 2.5 * HOUR).toISOString(),
    });
  });

  it('cron R2 schedule (Monday and Thursday 02:30): the period is the gap the last success fell in', async () => {
    settings.values = { local_backup_enabled: 0, r2_backup_enabled: 1, r2_backup_schedule: 'cron:30 2 * * 1,4' };
    await run('r2', 'succeeded', '2026-06-01T00:35:00.000Z'); // Monday 02:35 CEST: the gap to Thursday is 3 days
    clock.set('2026-06-02T12:00:00Z');
    expect(await service({ timeZone: 'Europe/Berlin' }).health('r2')).toMatchObject({
      state: 'ok',
      next_run: '2026-06-04T00:30:00.000Z',
      overdue_at: new Date(Date.parse('2026-06-01T00:35:00Z') + 3 * 1.25 * DAY).toISOString(),
    });
    clock.set(new Date(Date.parse('2026-06-01T00:35:00Z') + 3 * 1.25 * DAY).toISOString());
    expect((await service({ timeZone: 'Europe/Berlin' }).health('r2')).state).toBe('overdue');
  });

  it('monthly R2 schedule: the period is the month the last success fell in (31 days in January, 28 in February)', async () => {
    settings.values = { local_backup_enabled: 0, r2_backup_enabled: 1, r2_backup_schedule: 'monthly' };
    await run('r2', 'succeeded', '2026-01-01T03:10:00.000Z');
    clock.set('2026-01-15T00:00:00Z');
    const january = await service().health('r2');
    expect(january).toMatchObject({
      next_run: '2026-02-01T03:00:00.000Z',
      overdue_at: new Date(Date.parse('2026-01-01T03:10:00Z') + 31 * 1.25 * DAY).toISOString(),
    });
    await run('r2', 'succeeded', '2026-02-01T03:10:00.000Z');
    clock.set('2026-02-15T00:00:00Z');
    expect((await service().health('r2')).overdue_at).toBe(new Date(Date.parse('2026-02-01T03:10:00Z') + 28 * 1.25 * DAY).toISOString());
  });

  it('daylight saving (Europe/Berlin): the day the clocks go forward is 23 h long, the day they go back 25 h; next runs are at 01:00 local', async () => {
    const health = service({ timeZone: 'Europe/Berlin' });
    // 2026-03-29 01:05 CET = 00:05Z; the next 01:00 is CEST (23:00Z): a 23-hour period.
    await run('local', 'succeeded', '2026-03-29T00:05:00.000Z');
    clock.set('2026-03-29T12:00:00Z');
    expect(await health.health('local')).toMatchObject({
      next_run: '2026-03-29T23:00:00.000Z',
      overdue_at: new Date(Date.parse('2026-03-29T00:05:00Z') + 23 * 1.25 * HOUR).toISOString(),
    });
    // 2026-10-25 01:05 CEST = 23:05Z the day before; the next 01:00 is CET (00:00Z on the 26th): 25 hours.
    await run('local', 'succeeded', '2026-10-24T23:05:00.000Z');
    clock.set('2026-10-25T12:00:00Z');
    expect(await health.health('local')).toMatchObject({
      next_run: '2026-10-26T00:00:00.000Z',
      overdue_at: new Date(Date.parse('2026-10-24T23:05:00Z') + 25 * 1.25 * HOUR).toISOString(),
    });
  });

  it('failing: the last job failed; failing wins over overdue, which is still told by overdue_since', async () => {
    await run('local', 'succeeded', '2026-06-01T01:05:00.000Z');
    await run('local', 'failed', '2026-06-02T01:01:00.000Z');
    await run('local', 'failed', '2026-06-03T01:01:00.000Z');
    clock.set('2026-06-03T12:00:00Z');
    const local = await service().health('local');
    expect(local).toMatchObject({
      state: 'failing',
      last_success: '2026-06-01T01:05:00.000Z',
      last_attempt: '2026-06-03T01:01:00.000Z',
      last_result: 'failed',
      last_error: { code: 'STORAGE_ACCESS_DENIED', time: '2026-06-03T01:01:00.000Z' },
      overdue_since: '2026-06-02T07:05:00.000Z',
      consecutive_failures: 2,
      last_duration_ms: 60_000,
    });
    expect(local.last_error!.message).toMatch(/credentials/);
  });

  it('a scheduled run that failed before it became a job makes the target failing, across a restart, until a later attempt', async () => {
    await run('local', 'succeeded', '2026-06-01T01:05:00.000Z');
    clock.set('2026-06-02T01:00:02Z');
    await records.addPreJobFailure('local', {
      time: clock.now().toISOString(),
      code: 'INSUFFICIENT_DISK_SPACE',
      message: 'Local backup could not start: not enough free disk space',
    });
    records = new HealthRecordsStore({ env: { dataDir: dir } } as AppConfig);
    const health = service();
    expect(await health.health('local')).toMatchObject({
      state: 'failing',
      last_attempt: '2026-06-02T01:00:02.000Z',
      last_error: { code: 'INSUFFICIENT_DISK_SPACE', message: 'Local backup could not start: not enough free disk space', time: '2026-06-02T01:00:02.000Z' },
      consecutive_failures: 1,
    });
    await run('local', 'succeeded', '2026-06-02T09:00:00.000Z');
    clock.set('2026-06-02T09:00:01Z');
    expect(await health.health('local')).toMatchObject({ state: 'ok', last_error: null, consecutive_failures: 0, last_attempt: '2026-06-02T09:00:00.000Z' });
  });

  it('turning a target back on restarts the overdue count from that moment', async () => {
    await run('local', 'succeeded', '2026-05-01T01:05:00.000Z');
    settings.values.local_backup_enabled = 0;
    const health = service();
    expect((await health.health('local')).state).toBe('disabled');
    settings.values.local_backup_enabled = 1;
    clock.set('2026-06-01T12:00:00Z');
    await health.observeSettings();
    clock.set('2026-06-02T17:59:59Z');
    expect(await health.health('local')).toMatchObject({ state: 'ok', overdue_at: '2026-06-02T18:00:00.000Z' });
  });

  it('a status read never fails on writing the enabled flag (a failed write is logged; the change is used all the same)', async () => {
    // The write of the flag cannot make its temp file: a folder stands where it goes.
    fs.mkdirSync(path.join(dir, `.target-health.json.tmp-${process.pid}`));
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      settings.values.r2_backup_enabled = 1;
      const health = service();
      expect(await health.health('r2')).toMatchObject({ state: 'never', enabled: true, overdue_at: '2026-06-02T18:00:00.000Z' });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^Could not write that r2 backups were turned on: /));
      clock.set('2026-06-02T18:00:00Z');
      expect((await health.health('r2')).state).toBe('overdue');
    } finally {
      warn.mockRestore();
    }
  });

  it('a target enabled before the service first saw it counts from its last success, not from the first sight', async () => {
    await run('local', 'succeeded', '2026-05-01T01:05:00.000Z');
    expect((await service().health('local')).state).toBe('overdue');
  });

  it('the grace is configurable: 0 makes the deadline the period itself', async () => {
    await run('local', 'succeeded', '2026-06-01T01:05:00.000Z');
    expect((await service({ grace: 0 }).health('local')).overdue_at).toBe('2026-06-02T01:05:00.000Z');
  });

  it('with schedules off, an enabled target has no next run but is still judged overdue', async () => {
    await run('local', 'succeeded', '2026-05-01T01:05:00.000Z');
    expect(await service({ schedules: false }).health('local')).toMatchObject({ state: 'overdue', next_run: null });
  });

  it('last verification: the newer of the stored scheduled report and the last verdict heard', async () => {
    const report: VerificationReport = {
      target: 'local',
      archive: 'sentinel-backup-2026-05-31-010000.tar.gz',
      ok: true,
      message: 'ok',
      checkedAt: '2026-05-31T04:31:00.000Z',
      durationMs: 5,
      backupTimestamp: null,
      databases: [],
      problem: null,
    };
    await verifications.save(report);
    const health = service();
    expect((await health.health('local')).last_verification).toEqual({ time: '2026-05-31T04:31:00.000Z', filename: report.archive, verdict: 'passed' });
    await records.setVerification('local', { time: '2026-06-01T10:00:00.000Z', filename: 'sentinel-backup-2026-06-01-010000.tar.gz', verdict: 'failed' });
    expect((await health.health('local')).last_verification).toEqual({
      time: '2026-06-01T10:00:00.000Z',
      filename: 'sentinel-backup-2026-06-01-010000.tar.gz',
      verdict: 'failed',
    });
    expect((await health.health('r2')).last_verification).toBeNull();
  });

  it('all() answers both targets, local first', async () => {
    expect((await service().all()).map((h) => [h.target, h.state])).toEqual([
      ['local', 'never'],
      ['r2', 'disabled'],
    ]);
  });
});

describe('MonitoringOptions', () => {
  it('reads SENTINEL_OVERDUE_GRACE_PERCENT as a fraction, 25 % by default, and refuses a bad value naming the variable', () => {
    expect(MonitoringOptions.fromEnvironment({ raw: {} }).overdueGrace).toBe(0.25);
    expect(MonitoringOptions.fromEnvironment({ raw: { SENTINEL_OVERDUE_GRACE_PERCENT: '50' } }).overdueGrace).toBe(0.5);
    expect(() => MonitoringOptions.fromEnvironment({ raw: { SENTINEL_OVERDUE_GRACE_PERCENT: '-5' } })).toThrow(EnvironmentError);
    expect(() => MonitoringOptions.fromEnvironment({ raw: { SENTINEL_OVERDUE_GRACE_PERCENT: '2000' } })).toThrow(/SENTINEL_OVERDUE_GRACE_PERCENT.*0 to 1000/);
  });
});
