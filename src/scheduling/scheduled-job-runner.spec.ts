import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackupCatalogService, BackupFile } from '../backup/backup-catalog.service.js';
import type { BackupRunEntity } from '../backup/backup-run.entity.js';
import type { BackupRunStore } from '../backup/backup-run.store.js';
import type { BackupJobs } from '../backup/backup-jobs.js';
import type { RotationResult, RotationService } from '../backup/rotation.service.js';
import type { BackupTarget } from '../common/backup-target.js';
import type { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { DomainEventBus } from '../common/events/domain-event-bus.js';
import type { AppConfig } from '../config/app-config.js';
import type { BackupVerifier, VerificationReport } from '../restore/backup-verifier.service.js';
import type { SettingDto } from '../settings/dto/setting.dto.js';
import type { SettingsService } from '../settings/settings.service.js';
import type { TargetDirectory } from '../targets/target-directory.js';
import { TargetRoster } from '../targets/target-roster.js';
import type { StorageTargets } from '../storage/storage-targets.js';
import { ScheduledJobRunner } from './scheduled-job-runner.js';
import { ScheduledRunFailedEvent, ScheduledRunSkippedEvent } from './scheduling.events.js';
import type { SchedulingOptions } from './scheduling-options.js';
import { VerificationStore } from './verification.store.js';

const MINUTE = 60_000;

class FakeClock {
  constructor(public at: Date) {}
  now(): Date {
    return new Date(this.at);
  }
}

function run(fields: Partial<BackupRunEntity>): BackupRunEntity {
  return {
    id: 'job-1',
    target: 'local',
    trigger: 'scheduled',
    status: 'succeeded',
    phase: 'done',
    bytesDone: 0,
    bytesTotal: 0,
    filename: 'sentinel-backup-2026-03-01-010000.tar.gz',
    sizeBytes: 100,
    createdAt: '2026-03-01T01:00:00.000Z',
    startedAt: '2026-03-01T01:00:00.000Z',
    finishedAt: '2026-03-01T01:00:30.000Z',
    durationMs: 30_000,
    error: null,
    ...fields,
  } as BackupRunEntity;
}

/** Every fake the service talks to, with the calls it made. */
function setup(options: { now: string; timeZone?: string; windowMinutes?: number }) {
  const settings = { local_backup_enabled: 1, r2_backup_enabled: 1, r2_backup_schedule: 'daily' } as Record<string, string | number>;
  const lastSuccess: Record<string, BackupRunEntity | null> = {};
  const started: BackupTarget[] = [];
  const state = {
    running: undefined as BackupRunEntity | undefined,
    backupResult: (target: BackupTarget) => Promise.resolve(run({ target, status: 'succeeded', filename: 'sentinel-backup-2026-03-08-030000.tar.gz' })),
    catalog: [] as BackupFile[],
    verify: (target: BackupTarget, filename: string): Promise<VerificationReport> =>
      Promise.resolve({
        target,
        archive: filename,
        ok: true,
        message: 'All 7 databases are intact',
        checkedAt: '',
        durationMs: 5,
        backupTimestamp: null,
        databases: [],
        problem: null,
      }),
    rotate: (target: BackupTarget): Promise<RotationResult> =>
      Promise.resolve({ target, retentionDays: 90, deleted: ['a', 'b'], kept: 3, notOwn: 0, failed: [], locked: [] }),
    /** What the target's storage says is missing from its settings (undefined: configured). */
    missingConfiguration: undefined as string | undefined,
  };
  const emitted: object[] = [];
  const clock = new FakeClock(new Date(options.now));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sched-spec-'));
  const fakeSettings = {
    list: async () => Object.entries(settings).map(([key, value]) => ({ key, value }) as SettingDto),
  };
  const backups = {
    runningJob: () => state.running,
    runToCompletion: async (target: BackupTarget, trigger: string) => {
      expect(trigger).toBe('scheduled');
      started.push(target);
      return state.backupResult(target);
    },
  };
  const runs = {
    lastSuccess: async (target: BackupTarget, trigger?: string) => {
      const found = lastSuccess[`${target}:${trigger ?? 'any'}`] ?? null;
      return found;
    },
  };
  const rotation = { rotate: jest.fn((target: BackupTarget, _trigger?: string) => state.rotate(target)) };
  const catalog = { list: async () => state.catalog };
  const verifier = {
    verify: jest.fn((target: BackupTarget, filename: string, _signal?: AbortSignal, _request?: unknown, _trigger?: string) => state.verify(target, filename)),
  };
  const store = new VerificationStore({ env: { dataDir } } as unknown as AppConfig);
  const schedulingOptions: SchedulingOptions = {
    enabled: true,
    timeZone: options.timeZone ?? 'UTC',
    duplicateWindowMinutes: options.windowMinutes ?? 60,
    catchUpDelayMs: 0,
  };
  const service = new ScheduledJobRunner(
    new TargetRoster(fakeSettings as unknown as SettingsService, { addedWithoutSecrets: async () => [] } as unknown as TargetDirectory),
    backups as unknown as BackupJobs,
    runs as unknown as BackupRunStore,
    rotation as unknown as RotationService,
    catalog as unknown as BackupCatalogService,
    verifier as unknown as BackupVerifier,
    store,
    schedulingOptions,
    clock as unknown as Clock,
    { get: async () => ({ missingConfiguration: async () => state.missingConfiguration }) } as unknown as StorageTargets,
    { emit: (event: object) => void emitted.push(event) } as unknown as DomainEventBus,
  );
  return { service, settings, lastSuccess, started, state, clock, rotation, verifier, store, dataDir, emitted };
}

let logs: Array<{ level: string; message: string }>;
let dirs: string[] = [];

beforeEach(() => {
  logs = [];
  for (const level of ['log', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(Logger.prototype, level).mockImplementation((message: unknown) => void logs.push({ level, message: String(message) }));
  }
});
afterEach(() => {
  jest.restoreAllMocks();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function make(options: Parameters<typeof setup>[0]) {
  const s = setup(options);
  dirs.push(s.dataDir);
  return s;
}

const visible = () => logs.filter((l) => l.level !== 'debug');

describe('ScheduledJobRunner.runScheduled', () => {
  it('runs a scheduled backup when nothing stands in the way', async () => {
    const { service, started } = make({ now: '2026-03-08T03:00:00Z' });
    const result = await service.runScheduled('r2');
    expect(result).toEqual({ outcome: 'succeeded', message: 'R2 backup completed: sentinel-backup-2026-03-08-030000.tar.gz' });
    expect(started).toEqual(['r2']);
    expect(service.lastRun('r2-backup')).toMatchObject({ outcome: 'succeeded', startedAt: new Date('2026-03-08T03:00:00Z') });
  });

  it('does nothing for a disabled target, and logs nothing above debug level', async () => {
    const { service, settings, started } = make({ now: '2026-03-08T03:00:00Z' });
    settings.r2_backup_enabled = 0;
    expect((await service.runScheduled('r2')).outcome).toBe('disabled');
    expect((await service.rotate('r2')).outcome).toBe('disabled');
    expect((await service.verifyNewest('r2')).outcome).toBe('disabled');
    expect(started).toEqual([]);
    expect(visible()).toEqual([]);
  });

  it('skips, and says so, when a backup to the same target finished within the duplicate window (manual ones count)', async () => {
    const { service, lastSuccess, started } = make({ now: '2026-03-08T03:00:00Z' });
    lastSuccess['r2:any'] = run({
      target: 'r2',
      trigger: 'manual',
      filename: 'sentinel-backup-2026-03-08-024700.tar.gz',
      finishedAt: new Date(Date.parse('2026-03-08T03:00:00Z') - 12 * MINUTE - 5000).toISOString(),
    });
    const result = await service.runScheduled('r2');
    expect(result.outcome).toBe('skipped');
    expect(started).toEqual([]);
    expect(visible()).toEqual([
      {
        level: 'log',
        message: 'R2 backup skipped: a backup finished 12 minutes ago (duplicate window 60 min): sentinel-backup-2026-03-08-024700.tar.gz, manual',
      },
    ]);
  });

  it('runs when the last success is older than the window, and always when the window is 0', async () => {
    const old = make({ now: '2026-03-08T03:00:00Z' });
    old.lastSuccess['local:any'] = run({ finishedAt: new Date(Date.parse('2026-03-08T03:00:00Z') - 61 * MINUTE).toISOString() });
    expect((await old.service.runScheduled('local')).outcome).toBe('succeeded');

    const off = make({ now: '2026-03-08T03:00:00Z', windowMinutes: 0 });
    off.lastSuccess['local:any'] = run({ finishedAt: new Date(Date.parse('2026-03-08T03:00:00Z') - MINUTE).toISOString() });
    expect((await off.service.runScheduled('local')).outcome).toBe('succeeded');

    const custom = make({ now: '2026-03-08T03:00:00Z', windowMinutes: 180 });
    custom.lastSuccess['local:any'] = run({ finishedAt: new Date(Date.parse('2026-03-08T03:00:00Z') - 150 * MINUTE).toISOString() });
    expect((await custom.service.runScheduled('local')).outcome).toBe('skipped');
    expect(logs.at(-1)?.message).toMatch(/^Local backup skipped: a backup finished 150 minutes ago \(duplicate window 180 min\)/);
  });

  it('an hourly schedule is not skipped by its own previous backup: the window is at most half the interval', async () => {
    const hourly = make({ now: '2026-03-08T03:15:00Z' });
    hourly.settings.local_backup_schedule = 'hourly';
    hourly.lastSuccess['local:any'] = run({ finishedAt: '2026-03-08T02:16:10.000Z' }); // the 02:15 run, 59 minutes ago
    expect((await hourly.service.runScheduled('local')).outcome).toBe('succeeded');

    const manual = make({ now: '2026-03-08T03:15:00Z' });
    manual.settings.local_backup_schedule = 'hourly';
    manual.lastSuccess['local:any'] = run({ trigger: 'manual', finishedAt: '2026-03-08T03:00:00.000Z' }); // 15 minutes ago
    expect((await manual.service.runScheduled('local')).outcome).toBe('skipped');
    expect(logs.at(-1)?.message).toMatch(/^Local backup skipped: a backup finished 15 minutes ago \(duplicate window 30 min\)/);

    const cron = make({ now: '2026-03-08T03:10:00Z' });
    cron.settings.local_backup_schedule = 'cron:*/5 * * * *';
    cron.lastSuccess['local:any'] = run({ finishedAt: '2026-03-08T03:06:00.000Z' }); // 4 minutes ago: window 2.5 min
    expect((await cron.service.runScheduled('local')).outcome).toBe('succeeded');

    // The spec's daily schedule keeps the configured window as it is, even one longer than half a day.
    const daily = make({ now: '2026-03-08T01:00:00Z', windowMinutes: 2000 });
    daily.lastSuccess['local:any'] = run({ finishedAt: new Date(Date.parse('2026-03-08T01:00:00Z') - 1500 * MINUTE).toISOString() });
    expect((await daily.service.runScheduled('local')).outcome).toBe('skipped');
  });

  it('skips, and says so, when a backup of the target is running (checked first, or refused by BackupJobs)', async () => {
    const { service, state, started } = make({ now: '2026-03-08T03:00:00Z' });
    state.running = run({ id: 'job-7', target: 'r2', trigger: 'manual', status: 'running', startedAt: '2026-03-08T02:58:00.000Z' });
    expect((await service.runScheduled('r2')).outcome).toBe('skipped');
    expect(visible().at(-1)?.message).toBe('R2 backup skipped: a backup is already running (job job-7, manual, started 2026-03-08T02:58:00.000Z)');

    state.running = undefined;
    state.backupResult = () => Promise.reject(new DomainError(ErrorCode.BackupInProgress, 'A R2 backup is already running (job job-8, checking)'));
    expect((await service.runScheduled('r2')).outcome).toBe('skipped');
    expect(visible().at(-1)?.message).toMatch(/^R2 backup skipped: a backup is already running/);
    expect(started).toEqual(['r2']);
  });

  it('reports a failed backup as failed', async () => {
    const { service, state } = make({ now: '2026-03-08T03:00:00Z' });
    state.backupResult = (target) => Promise.resolve(run({ target, status: 'failed', filename: null, error: 'Cannot reach the bucket' }));
    expect(await service.runScheduled('r2')).toEqual({ outcome: 'failed', message: 'R2 backup failed: Cannot reach the bucket' });
    expect(service.lastRun('r2-backup')?.outcome).toBe('failed');
  });
});

describe('ScheduledJobRunner.catchUp', () => {
  it('runs one backup per enabled target whose last scheduled success is older than the latest slot', async () => {
    // Tuesday 10:00 UTC; local is due daily at 01:00, R2 daily at 03:00.
    const { service, lastSuccess, started } = make({ now: '2026-03-10T10:00:00Z' });
    lastSuccess['local:scheduled'] = run({ finishedAt: '2026-03-08T01:00:40.000Z' }); // missed the 9th and the 10th
    lastSuccess['r2:scheduled'] = run({ target: 'r2', finishedAt: '2026-03-10T03:01:10.000Z' }); // today's ran
    const results = await service.catchUp();
    expect(results.map((r) => [r.target, r.outcome])).toEqual([['local', 'succeeded']]);
    expect(started).toEqual(['local']);
    expect(visible()[0].message).toBe(
      'Local backup catch-up: the scheduled backup due 2026-03-10 01:00 UTC did not run (last scheduled backup finished 2026-03-08 01:00 UTC); running one now',
    );
  });

  it('uses the R2 schedule: weekly is not due mid-week after Sunday ran, and is after a missed Sunday', async () => {
    const upToDate = make({ now: '2026-03-11T10:00:00Z', timeZone: 'Europe/Berlin' }); // Wednesday
    upToDate.settings.r2_backup_schedule = 'weekly';
    upToDate.settings.local_backup_enabled = 0;
    upToDate.lastSuccess['r2:scheduled'] = run({ target: 'r2', finishedAt: '2026-03-08T02:00:30.000Z' }); // Sunday 03:00 CET
    expect(await upToDate.service.catchUp()).toEqual([]);
    expect(upToDate.started).toEqual([]);

    const missed = make({ now: '2026-03-15T09:00:00Z', timeZone: 'Europe/Berlin' }); // the next Sunday, 10:00 local
    missed.settings.r2_backup_schedule = 'weekly';
    missed.settings.local_backup_enabled = 0;
    missed.lastSuccess['r2:scheduled'] = run({ target: 'r2', finishedAt: '2026-03-08T02:00:30.000Z' });
    expect((await missed.service.catchUp()).map((r) => r.target)).toEqual(['r2']);
    expect(visible()[0].message).toMatch(/^R2 backup catch-up: the scheduled backup due 2026-03-15 03:00 GMT\+1 did not run/);
  });

  it('hourly and cron: due when the latest run was missed, not when it ran', async () => {
    const missed = make({ now: '2026-03-29T01:40:00Z', timeZone: 'Europe/Berlin' }); // 03:40 CEST, the spring-forward day
    missed.settings.local_backup_schedule = 'hourly';
    missed.settings.r2_backup_schedule = 'cron:0 */4 * * *';
    missed.lastSuccess['local:scheduled'] = run({ finishedAt: '2026-03-29T00:15:30.000Z' }); // 01:15 CET: the runs at 03:00 CEST (the skipped 02:15) and 03:15 CEST were missed
    missed.lastSuccess['r2:scheduled'] = run({ target: 'r2', finishedAt: '2026-03-28T23:00:20.000Z' }); // 00:00 CET, the latest 4-hourly run
    expect((await missed.service.catchUp()).map((r) => r.target)).toEqual(['local']);
    expect(visible()[0].message).toMatch(/^Local backup catch-up: the scheduled backup due 2026-03-29 03:15 GMT\+2 did not run/);
  });

  it('monthly: not due on the 20th when the 1st ran', async () => {
    const { service, settings, lastSuccess, started } = make({ now: '2026-03-20T10:00:00Z' });
    settings.r2_backup_schedule = 'monthly';
    settings.local_backup_enabled = 0;
    lastSuccess['r2:scheduled'] = run({ target: 'r2', finishedAt: '2026-03-01T03:00:30.000Z' });
    expect(await service.catchUp()).toEqual([]);
    expect(started).toEqual([]);
  });

  it('runs when no scheduled backup has ever succeeded, but not for a disabled target', async () => {
    const { service, settings, started } = make({ now: '2026-03-10T10:00:00Z' });
    settings.r2_backup_enabled = 0;
    await service.catchUp();
    expect(started).toEqual(['local']);
    expect(visible()[0].message).toMatch(/did not run \(no scheduled backup yet\); running one now$/);
  });

  it('a catch-up backup still respects the duplicate window (a manual backup just now)', async () => {
    const { service, settings, lastSuccess, started } = make({ now: '2026-03-10T10:00:00Z' });
    settings.r2_backup_enabled = 0;
    lastSuccess['local:scheduled'] = run({ finishedAt: '2026-03-08T01:00:40.000Z' });
    lastSuccess['local:any'] = run({ trigger: 'manual', finishedAt: '2026-03-10T09:50:00.000Z' });
    const [result] = await service.catchUp();
    expect(result.outcome).toBe('skipped');
    expect(started).toEqual([]);
  });
});

describe('ScheduledJobRunner rotation and verification', () => {
  it('rotation calls RotationService for the target and reports what it deleted', async () => {
    const { service, rotation } = make({ now: '2026-03-10T03:30:00Z' });
    expect(await service.rotate('r2')).toEqual({ outcome: 'succeeded', message: 'R2 backup rotation: deleted 2, kept 3' });
    // As the schedule's: the run history shows who started it.
    expect(rotation.rotate).toHaveBeenCalledWith('r2', 'scheduled');
  });

  it('a failing rotation is logged with the spec phrase and reported as failed', async () => {
    const { service, state } = make({ now: '2026-03-10T03:30:00Z' });
    state.rotate = () => Promise.reject(new Error('Access denied'));
    expect((await service.rotate('r2')).outcome).toBe('failed');
    expect(visible()).toEqual([{ level: 'error', message: 'R2 backup rotation failed: Access denied' }]);
  });

  it('verification checks the newest backup and keeps the report', async () => {
    const { service, state, verifier, store } = make({ now: '2026-03-08T04:30:00Z' });
    state.catalog = [
      { filename: 'sentinel-backup-2026-03-08-030000.tar.gz', sizeBytes: 1, createdAt: new Date('2026-03-08T03:00:00Z'), ageMs: 0, owner: null, own: true },
      { filename: 'sentinel-backup-2026-03-07-030000.tar.gz', sizeBytes: 1, createdAt: new Date('2026-03-07T03:00:00Z'), ageMs: 0, owner: null, own: true },
    ];
    expect((await service.verifyNewest('r2')).outcome).toBe('succeeded');
    expect(verifier.verify).toHaveBeenCalledWith('r2', 'sentinel-backup-2026-03-08-030000.tar.gz', undefined, undefined, 'scheduled');
    expect(store.latest()).toEqual([expect.objectContaining({ target: 'r2', archive: 'sentinel-backup-2026-03-08-030000.tar.gz', ok: true })]);
    expect(visible()[0].message).toBe('R2 backup verification: checking the newest backup, sentinel-backup-2026-03-08-030000.tar.gz');
  });

  it('a damaged newest backup is a failed verification, logged as an error and kept', async () => {
    const { service, state, store } = make({ now: '2026-03-08T04:30:00Z' });
    state.catalog = [
      { filename: 'sentinel-backup-2026-03-08-030000.tar.gz', sizeBytes: 1, createdAt: new Date('2026-03-08T03:00:00Z'), ageMs: 0, owner: null, own: true },
    ];
    state.verify = (target, archive) =>
      Promise.resolve({
        target,
        archive,
        ok: false,
        message: '1 of 7 databases failed',
        checkedAt: '',
        durationMs: 1,
        backupTimestamp: null,
        databases: [],
        problem: null,
      });
    expect((await service.verifyNewest('local')).outcome).toBe('failed');
    expect(visible().at(-1)).toEqual({
      level: 'error',
      message: 'Local backup verification FAILED: the newest backup sentinel-backup-2026-03-08-030000.tar.gz could not be restored: 1 of 7 databases failed',
    });
    expect(store.latest()[0]).toMatchObject({ target: 'local', ok: false });
  });

  it('a verification that cannot run (storage down) is kept as not ok; no backups yet is a skip', async () => {
    const { service, state, store } = make({ now: '2026-03-08T04:30:00Z' });
    expect((await service.verifyNewest('r2')).outcome).toBe('skipped');
    expect(store.latest()).toEqual([]);
    state.catalog = [
      { filename: 'sentinel-backup-2026-03-08-030000.tar.gz', sizeBytes: 1, createdAt: new Date('2026-03-08T03:00:00Z'), ageMs: 0, owner: null, own: true },
    ];
    state.verify = () => Promise.reject(new Error('connect ECONNREFUSED'));
    expect((await service.verifyNewest('r2')).outcome).toBe('failed');
    expect(store.latest()[0]).toMatchObject({
      target: 'r2',
      ok: false,
      message: 'R2 backup verification of sentinel-backup-2026-03-08-030000.tar.gz could not run: connect ECONNREFUSED',
    });
  });

  it('does not start a second verification of a target while one is running', async () => {
    const { service, state, verifier } = make({ now: '2026-03-08T04:30:00Z' });
    state.catalog = [
      { filename: 'sentinel-backup-2026-03-08-030000.tar.gz', sizeBytes: 1, createdAt: new Date('2026-03-08T03:00:00Z'), ageMs: 0, owner: null, own: true },
    ];
    let finish!: () => void;
    const slow = state.verify;
    state.verify = (t, f) => new Promise((resolve) => (finish = () => resolve(slow(t, f))));
    const first = service.verifyNewest('local');
    await new Promise((r) => setImmediate(r));
    expect((await service.verifyNewest('local')).outcome).toBe('skipped');
    finish();
    expect((await first).outcome).toBe('succeeded');
    expect(verifier.verify).toHaveBeenCalledTimes(1);
  });
});

describe('ScheduledJobRunner events: a run that did not become a job says why, once', () => {
  const own = (filename: string): BackupFile => ({ filename, sizeBytes: 1, createdAt: new Date('2026-03-08T03:00:00Z'), ageMs: 0, owner: null, own: true });

  it('emits nothing for a run that became a job (succeeded or failed: the job has its own events) or for a disabled target', async () => {
    const { service, state, settings, emitted } = make({ now: '2026-03-08T03:00:00Z', windowMinutes: 0 });
    await service.runScheduled('r2');
    state.backupResult = (target) => Promise.resolve(run({ target, status: 'failed', filename: null, error: 'Cannot reach the bucket' }));
    await service.runScheduled('r2');
    await service.rotate('r2');
    state.catalog = [own('sentinel-backup-2026-03-08-030000.tar.gz')];
    await service.verifyNewest('r2');
    settings.r2_backup_enabled = 0;
    await service.runScheduled('r2');
    await service.rotate('r2');
    await service.verifyNewest('r2');
    expect(emitted).toEqual([]);
  });

  it('skipped, already_running: a backup of the target is running (seen first, or refused by BackupJobs)', async () => {
    const { service, state, emitted } = make({ now: '2026-03-08T03:00:00Z' });
    state.running = run({ id: 'job-7', target: 'r2', trigger: 'manual', status: 'running', startedAt: '2026-03-08T02:58:00.000Z' });
    await service.runScheduled('r2');
    expect(emitted).toEqual([
      new ScheduledRunSkippedEvent(
        'r2-backup',
        'r2',
        'backup',
        'already_running',
        'R2 backup skipped: a backup is already running (job job-7, manual, started 2026-03-08T02:58:00.000Z)',
      ),
    ]);
    state.running = undefined;
    state.backupResult = () => Promise.reject(new DomainError(ErrorCode.BackupInProgress, 'A R2 backup is already running (job job-8, checking)'));
    await service.runScheduled('r2');
    expect(emitted.slice(1)).toEqual([
      new ScheduledRunSkippedEvent(
        'r2-backup',
        'r2',
        'backup',
        'already_running',
        'R2 backup skipped: a backup is already running (A R2 backup is already running (job job-8, checking))',
      ),
    ]);
  });

  it('skipped, recent_backup: a backup finished within the duplicate window', async () => {
    const { service, lastSuccess, emitted } = make({ now: '2026-03-08T03:00:00Z' });
    lastSuccess['local:any'] = run({ trigger: 'manual', filename: 'sentinel-backup-2026-03-08-025000.tar.gz', finishedAt: '2026-03-08T02:50:00.000Z' });
    await service.runScheduled('local');
    expect(emitted).toEqual([
      new ScheduledRunSkippedEvent(
        'local-backup',
        'local',
        'backup',
        'recent_backup',
        'Local backup skipped: a backup finished 10 minutes ago (duplicate window 60 min): sentinel-backup-2026-03-08-025000.tar.gz, manual',
      ),
    ]);
  });

  it('skipped, not_configured: BackupJobs refuses a target whose settings are incomplete; a rotation or verification of it fails for the same reason', async () => {
    const { service, state, emitted } = make({ now: '2026-03-08T03:00:00Z' });
    state.missingConfiguration = 'R2 is not configured: set r2_bucket_name';
    state.backupResult = () => Promise.reject(new DomainError(ErrorCode.TargetNotConfigured, 'Cannot back up to R2: R2 is not configured: set r2_bucket_name'));
    state.rotate = () => Promise.reject(new DomainError(ErrorCode.StorageNotConfigured, 'R2 is not configured: set r2_bucket_name'));
    expect((await service.runScheduled('r2')).outcome).toBe('failed');
    await service.rotate('r2');
    expect(emitted).toEqual([
      new ScheduledRunSkippedEvent(
        'r2-backup',
        'r2',
        'backup',
        'not_configured',
        'R2 backup could not start: Cannot back up to R2: R2 is not configured: set r2_bucket_name',
      ),
      new ScheduledRunSkippedEvent('r2-rotation', 'r2', 'rotation', 'not_configured', 'R2 backup rotation failed: R2 is not configured: set r2_bucket_name'),
    ]);
  });

  it('skipped, no_backup_to_verify; and already_running while a verification of the target runs', async () => {
    const { service, state, emitted } = make({ now: '2026-03-08T04:30:00Z' });
    await service.verifyNewest('local');
    expect(emitted).toEqual([
      new ScheduledRunSkippedEvent(
        'local-verify',
        'local',
        'verification',
        'no_backup_to_verify',
        'Local backup verification: there is no backup to verify yet',
      ),
    ]);
    state.catalog = [own('sentinel-backup-2026-03-08-030000.tar.gz')];
    state.verify = () => Promise.reject(new DomainError(ErrorCode.VerificationInProgress, 'A verification of Local backups is running'));
    await service.verifyNewest('local');
    expect(emitted.slice(1)).toEqual([
      new ScheduledRunSkippedEvent(
        'local-verify',
        'local',
        'verification',
        'already_running',
        'Local backup verification skipped: A verification of Local backups is running',
      ),
    ]);
  });

  it('skipped, already_running: the previous rotation of the target has not finished', async () => {
    const { service, state, emitted } = make({ now: '2026-03-10T03:30:00Z' });
    let finish!: () => void;
    const entered = new Promise<void>((rotating) => {
      state.rotate = (target) => {
        rotating();
        return new Promise((resolve) => (finish = () => resolve({ target, retentionDays: 90, deleted: [], kept: 1, notOwn: 0, failed: [], locked: [] })));
      };
    });
    const first = service.rotate('local');
    await entered;
    await service.rotate('local');
    finish();
    await first;
    expect(emitted).toEqual([
      new ScheduledRunSkippedEvent(
        'local-rotation',
        'local',
        'rotation',
        'already_running',
        'Local backup rotation skipped: the previous one is still running',
      ),
    ]);
  });

  it('failed, with the error code: a damaged database refuses the backup; storage errors stop a rotation or a verification', async () => {
    const { service, state, emitted } = make({ now: '2026-03-08T04:30:00Z' });
    state.backupResult = () => Promise.reject(new DomainError(ErrorCode.DatabaseDamaged, 'The database file universe.db is damaged'));
    state.rotate = () => Promise.reject(new DomainError(ErrorCode.StorageUnavailable, 'Cannot reach R2: connection refused'));
    state.catalog = [own('sentinel-backup-2026-03-08-030000.tar.gz')];
    state.verify = () => Promise.reject(new DomainError(ErrorCode.InsufficientDiskSpace, 'Not enough free space in DATA_DIR'));
    await service.runScheduled('local');
    await service.rotate('r2');
    await service.verifyNewest('local');
    state.rotate = () => Promise.reject(new Error('something unexpected'));
    await service.rotate('local');
    expect(emitted).toEqual([
      new ScheduledRunFailedEvent(
        'local-backup',
        'local',
        'backup',
        'DATABASE_DAMAGED',
        'Local backup could not start: The database file universe.db is damaged',
      ),
      new ScheduledRunFailedEvent('r2-rotation', 'r2', 'rotation', 'STORAGE_UNAVAILABLE', 'R2 backup rotation failed: Cannot reach R2: connection refused'),
      new ScheduledRunFailedEvent(
        'local-verify',
        'local',
        'verification',
        'INSUFFICIENT_DISK_SPACE',
        'Local backup verification of sentinel-backup-2026-03-08-030000.tar.gz could not run: Not enough free space in DATA_DIR',
      ),
      new ScheduledRunFailedEvent('local-rotation', 'local', 'rotation', 'INTERNAL', 'Local backup rotation failed: something unexpected'),
    ]);
  });
});
