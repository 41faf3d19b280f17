import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../common/clock.js';
import { SettingsChangedEvent } from '../settings/settings-changed.event.js';
import { ScheduleTimers } from './schedule-timers.js';
import type { ScheduleValue } from '../common/schedules/backup-schedule.js';
import type { RosterEntry } from '../targets/target-roster.js';
import type { JobResult, ScheduledJobRunner } from './scheduled-job-runner.js';
import type { ScheduledJob } from './scheduled-jobs.js';
import type { SchedulingOptions } from './scheduling-options.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** The built-ins' settings the schedules depend on. */
interface ScheduleSettings {
  localEnabled: boolean;
  r2Enabled: boolean;
  r2Schedule: ScheduleValue;
  localSchedule?: ScheduleValue;
}

/** Stands in for ScheduledJobRunner: records which job ran when (by the faked Date). */
class FakeJobs {
  settings: ScheduleSettings = { localEnabled: true, r2Enabled: true, r2Schedule: 'daily' };
  /** Targets added through /api/targets. */
  added: RosterEntry[] = [];
  fired: Array<{ job: string; at: string }> = [];
  catchUps: string[] = [];
  settingsReads = 0;
  /** The added targets' table cannot be read (a damaged or locked config.db). */
  addedUnreadable = false;

  async scheduleSettings(): Promise<ScheduleSettings> {
    this.settingsReads++;
    return { ...this.settings };
  }

  async scheduledTargets(options: { strict?: boolean } = {}): Promise<RosterEntry[]> {
    const s = await this.scheduleSettings();
    if (this.addedUnreadable && options.strict) throw new Error('Cannot read the added backup targets (config.db): disk I/O error');
    const builtIn = (id: string, enabled: boolean, schedule: ScheduleValue): RosterEntry => ({
      id,
      label: id,
      kind: id === 'r2' ? 's3' : 'folder',
      builtIn: true,
      enabled,
      schedule,
      path: '',
      offReason: `${id} backups are turned off (${id}_backup_enabled = 0)`,
    });
    return [
      builtIn('local', s.localEnabled, s.localSchedule ?? 'daily'),
      builtIn('r2', s.r2Enabled, s.r2Schedule),
      ...(this.addedUnreadable ? [] : this.added),
    ];
  }

  async run(job: ScheduledJob): Promise<JobResult> {
    this.fired.push({ job: job.name, at: new Date().toISOString() });
    return { outcome: 'succeeded', message: 'ok' };
  }

  lastRun(): undefined {
    return undefined;
  }

  async catchUp(): Promise<[]> {
    this.catchUps.push(new Date().toISOString());
    return [];
  }

  firedOf(job: string): string[] {
    return this.fired.filter((f) => f.job === job).map((f) => f.at);
  }
}

let scheduler: ScheduleTimers | undefined;

beforeAll(() => Logger.overrideLogger(false));

async function start(options: { now: string; timeZone: string; enabled?: boolean; catchUpDelayMs?: number; jobs?: FakeJobs }) {
  jest.useFakeTimers({ now: new Date(options.now) });
  const jobs = options.jobs ?? new FakeJobs();
  const registry = new SchedulerRegistry();
  const schedulingOptions: SchedulingOptions = {
    enabled: options.enabled ?? true,
    timeZone: options.timeZone,
    duplicateWindowMinutes: 60,
    catchUpDelayMs: options.catchUpDelayMs ?? 10 * DAY, // out of the way unless a test is about it
  };
  scheduler = new ScheduleTimers(registry, jobs as unknown as ScheduledJobRunner, schedulingOptions, new Clock());
  scheduler.onApplicationBootstrap();
  await scheduler.reconcile();
  return { jobs, registry, scheduler };
}

afterEach(() => {
  scheduler?.onModuleDestroy();
  scheduler = undefined;
  jest.useRealTimers();
});

describe('ScheduleTimers timers', () => {
  it('America/New_York across 2026-03-08 (02:00 → 03:00): every job at its wall-clock time, once', async () => {
    const { jobs } = await start({ now: '2026-03-07T12:00:00Z', timeZone: 'America/New_York' });
    await jest.advanceTimersByTimeAsync(2 * DAY);
    expect(jobs.firedOf('local-backup')).toEqual(['2026-03-08T06:00:00.000Z', '2026-03-09T05:00:00.000Z']); // 01:00 EST, 01:00 EDT
    expect(jobs.firedOf('r2-backup')).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T07:00:00.000Z']); // 03:00 EDT
    expect(jobs.firedOf('local-rotation')).toEqual(['2026-03-08T07:30:00.000Z', '2026-03-09T07:30:00.000Z']);
    expect(jobs.firedOf('r2-rotation')).toEqual(['2026-03-08T07:30:00.000Z', '2026-03-09T07:30:00.000Z']);
    expect(jobs.firedOf('local-verify')).toEqual(['2026-03-08T08:30:00.000Z']); // Sunday 04:30 EDT
    expect(jobs.firedOf('r2-verify')).toEqual(['2026-03-08T08:30:00.000Z']);
    expect(jobs.fired).toHaveLength(10);
  });

  it('an added target: armed with its own schedule, re-timed when it changes, stopped when it is deleted or turned off', async () => {
    const jobs = new FakeJobs();
    const nas: RosterEntry = { id: 'nas', label: 'nas', kind: 'folder', builtIn: false, enabled: true, schedule: 'hourly', path: '/mnt/nas', offReason: 'off' };
    jobs.added = [nas];
    const { scheduler: timers } = await start({ now: '2026-03-04T12:00:00Z', timeZone: 'UTC', jobs });
    await jest.advanceTimersByTimeAsync(2 * HOUR);
    expect(jobs.firedOf('nas-backup')).toEqual(['2026-03-04T12:15:00.000Z', '2026-03-04T13:15:00.000Z']);
    jobs.added = [{ ...nas, schedule: 'cron:40 * * * *' }];
    timers.onTargetsChanged();
    await timers.reconcile();
    await jest.advanceTimersByTimeAsync(HOUR);
    expect(jobs.firedOf('nas-backup').slice(2)).toEqual(['2026-03-04T14:40:00.000Z']);
    jobs.added = [];
    timers.onTargetsChanged();
    await timers.reconcile();
    await jest.advanceTimersByTimeAsync(8 * DAY);
    expect(jobs.firedOf('nas-backup')).toHaveLength(3);
    expect(jobs.firedOf('nas-rotation')).toEqual([]);
    expect(jobs.firedOf('nas-verify')).toEqual([]);
    expect(jobs.firedOf('local-backup').length).toBeGreaterThan(7);
  });

  it('America/New_York across 2026-11-01 (02:00 → 01:00): the local backup runs once at the first 01:00', async () => {
    const { jobs } = await start({ now: '2026-10-31T12:00:00Z', timeZone: 'America/New_York' });
    await jest.advanceTimersByTimeAsync(2 * DAY);
    expect(jobs.firedOf('local-backup')).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-02T06:00:00.000Z']);
    expect(jobs.firedOf('r2-backup')).toEqual(['2026-11-01T08:00:00.000Z', '2026-11-02T08:00:00.000Z']);
    expect(jobs.firedOf('local-verify')).toEqual(['2026-11-01T09:30:00.000Z']); // Sunday 04:30 EST
  });

  it('Europe/Berlin across 2026-03-29 (02:00 → 03:00) with a weekly R2 schedule: R2 only on Sunday', async () => {
    const jobs = new FakeJobs();
    jobs.settings.r2Schedule = 'weekly';
    await start({ now: '2026-03-26T12:00:00Z', timeZone: 'Europe/Berlin', jobs });
    await jest.advanceTimersByTimeAsync(5 * DAY);
    expect(jobs.firedOf('r2-backup')).toEqual(['2026-03-29T01:00:00.000Z']); // Sunday 03:00 CEST
    expect(jobs.firedOf('local-backup')).toEqual([
      '2026-03-27T00:00:00.000Z',
      '2026-03-28T00:00:00.000Z',
      '2026-03-29T00:00:00.000Z', // 01:00 CET, an hour before the change
      '2026-03-29T23:00:00.000Z', // 01:00 CEST
      '2026-03-30T23:00:00.000Z',
    ]);
    expect(jobs.firedOf('r2-rotation')).toContain('2026-03-29T01:30:00.000Z');
  });

  it('Europe/Berlin across 2026-10-25 (03:00 → 02:00): the weekly R2 backup and the rotations run once, at 03:00/03:30 CET', async () => {
    const jobs = new FakeJobs();
    jobs.settings.r2Schedule = 'weekly';
    await start({ now: '2026-10-24T12:00:00Z', timeZone: 'Europe/Berlin', jobs });
    await jest.advanceTimersByTimeAsync(DAY);
    expect(jobs.firedOf('r2-backup')).toEqual(['2026-10-25T02:00:00.000Z']);
    expect(jobs.firedOf('local-rotation')).toEqual(['2026-10-25T02:30:00.000Z']);
    expect(jobs.firedOf('local-backup')).toEqual(['2026-10-24T23:00:00.000Z']);
  });

  it('monthly R2 backups: on the 1st only, across month ends (including a wait longer than one timer can)', async () => {
    const jobs = new FakeJobs();
    jobs.settings.r2Schedule = 'monthly';
    jobs.settings.localEnabled = false;
    await start({ now: '2026-01-30T12:00:00Z', timeZone: 'Europe/Berlin', jobs });
    await jest.advanceTimersByTimeAsync(62 * DAY);
    expect(jobs.firedOf('r2-backup')).toEqual(['2026-02-01T02:00:00.000Z', '2026-03-01T02:00:00.000Z', '2026-04-01T01:00:00.000Z']);
    expect(jobs.firedOf('local-backup')).toEqual([]);
  });

  it("hourly local backups across 2026-03-29 in Berlin: at :15, the skipped 02:15 at 03:00 CEST, once; the spec's other jobs unchanged", async () => {
    const jobs = new FakeJobs();
    jobs.settings.localSchedule = 'hourly';
    jobs.settings.r2Enabled = false;
    await start({ now: '2026-03-28T22:50:00Z', timeZone: 'Europe/Berlin', jobs });
    await jest.advanceTimersByTimeAsync(4 * HOUR);
    expect(jobs.firedOf('local-backup')).toEqual([
      '2026-03-28T23:15:00.000Z', // 00:15 CET
      '2026-03-29T00:15:00.000Z', // 01:15 CET
      '2026-03-29T01:00:00.000Z', // 02:15 does not exist: when the clock jumps to 03:00 CEST
      '2026-03-29T01:15:00.000Z', // 03:15 CEST
      '2026-03-29T02:15:00.000Z', // 04:15 CEST
    ]);
    expect(jobs.firedOf('local-rotation')).toEqual(['2026-03-29T01:30:00.000Z']); // 03:30 CEST, as before
  });

  it('hourly and cron backups across 2026-10-25 in Berlin: the repeated hour runs once', async () => {
    const jobs = new FakeJobs();
    jobs.settings.localSchedule = 'hourly';
    jobs.settings.r2Schedule = 'cron:*/20 2 * * *';
    await start({ now: '2026-10-24T22:00:00Z', timeZone: 'Europe/Berlin', jobs });
    await jest.advanceTimersByTimeAsync(5.5 * HOUR);
    expect(jobs.firedOf('local-backup')).toEqual([
      '2026-10-24T22:15:00.000Z',
      '2026-10-24T23:15:00.000Z',
      '2026-10-25T00:15:00.000Z', // 02:15 CEST; not again at 02:15 CET
      '2026-10-25T02:15:00.000Z', // 03:15 CET
      '2026-10-25T03:15:00.000Z',
    ]);
    expect(jobs.firedOf('r2-backup')).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T00:20:00.000Z', '2026-10-25T00:40:00.000Z']);
  });

  it("a cron schedule on the 31st across month ends, and a change from cron back to the spec's daily at once", async () => {
    const jobs = new FakeJobs();
    jobs.settings.localEnabled = false;
    jobs.settings.r2Schedule = 'cron:0 23 31 * *';
    const { scheduler } = await start({ now: '2026-01-30T12:00:00Z', timeZone: 'Europe/Berlin', jobs });
    await jest.advanceTimersByTimeAsync(62 * DAY);
    expect(jobs.firedOf('r2-backup')).toEqual(['2026-01-31T22:00:00.000Z', '2026-03-31T21:00:00.000Z']); // 23:00 CET, then CEST
    const status = (await scheduler.status()).find((s) => s.job.name === 'r2-backup')!;
    expect(status).toMatchObject({ scheduleValue: 'cron:0 23 31 * *', words: 'at 23:00 on the 31st Europe/Berlin', cron: '0 0 23 31 * *' });
    expect(status.nextRuns.map((d) => d.toISOString())).toEqual([
      '2026-05-31T21:00:00.000Z',
      '2026-07-31T21:00:00.000Z',
      '2026-08-31T21:00:00.000Z',
      '2026-10-31T22:00:00.000Z',
      '2026-12-31T22:00:00.000Z',
    ]);

    jobs.settings.r2Schedule = 'daily';
    scheduler.onSettingsChanged(new SettingsChangedEvent('r2_backup_schedule'));
    expect((await scheduler.status()).find((s) => s.job.name === 'r2-backup')!.nextRun?.toISOString()).toBe('2026-04-03T01:00:00.000Z');
  });

  it('re-arms the local backup when local_backup_schedule changes', async () => {
    const { jobs, scheduler } = await start({ now: '2026-03-04T12:00:00Z', timeZone: 'UTC' });
    const localNext = async () => (await scheduler.status()).find((s) => s.job.name === 'local-backup')!.nextRun?.toISOString() ?? null;
    expect(await localNext()).toBe('2026-03-05T01:00:00.000Z');
    jobs.settings.localSchedule = 'hourly';
    scheduler.onSettingsChanged(new SettingsChangedEvent('local_backup_schedule'));
    expect(await localNext()).toBe('2026-03-04T12:15:00.000Z');
    jobs.settings.localSchedule = 'weekly';
    scheduler.onSettingsChanged(new SettingsChangedEvent('local_backup_schedule'));
    expect(await localNext()).toBe('2026-03-08T01:00:00.000Z'); // Sunday at the local target's spec hour
  });

  it('a settings change re-times the R2 job at once; disabling stops it; other keys change nothing', async () => {
    const { jobs, scheduler } = await start({ now: '2026-03-04T12:00:00Z', timeZone: 'Europe/Berlin' }); // a Wednesday
    const r2Next = async () => (await scheduler.status()).find((s) => s.job.name === 'r2-backup')!.nextRun?.toISOString() ?? null;
    expect(await r2Next()).toBe('2026-03-05T02:00:00.000Z');

    jobs.settings.r2Schedule = 'weekly';
    scheduler.onSettingsChanged(new SettingsChangedEvent('r2_backup_schedule'));
    expect(await r2Next()).toBe('2026-03-08T02:00:00.000Z');
    await jest.advanceTimersByTimeAsync(5 * DAY); // to Monday 9 March, 12:00Z
    expect(jobs.firedOf('r2-backup')).toEqual(['2026-03-08T02:00:00.000Z']);

    jobs.settings.r2Enabled = false;
    scheduler.onSettingsChanged(new SettingsChangedEvent('r2_backup_enabled'));
    expect(await r2Next()).toBeNull();
    const reads = jobs.settingsReads;
    scheduler.onSettingsChanged(new SettingsChangedEvent('r2_bucket_name'));
    await scheduler.status();
    expect(jobs.settingsReads).toBe(reads + 1); // status() only: no re-arming for an unrelated key
    await jest.advanceTimersByTimeAsync(14 * DAY);
    expect(jobs.firedOf('r2-backup')).toEqual(['2026-03-08T02:00:00.000Z']);
    expect(jobs.firedOf('r2-rotation').every((at) => at < '2026-03-10')).toBe(true);
    expect(jobs.firedOf('local-backup').length).toBeGreaterThanOrEqual(19); // the local target goes on

    jobs.settings.r2Enabled = true;
    scheduler.onSettingsChanged(new SettingsChangedEvent('r2_backup_enabled'));
    expect(await r2Next()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('SENTINEL_SCHEDULES=off: no timer at all, nothing runs, no catch-up', async () => {
    const { jobs, scheduler } = await start({ now: '2026-03-04T12:00:00Z', timeZone: 'UTC', enabled: false, catchUpDelayMs: 1000 });
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(8 * DAY);
    expect(jobs.fired).toEqual([]);
    expect(jobs.catchUps).toEqual([]);
    const status = await scheduler.status();
    expect(status.every((s) => !s.enabled && s.nextRun === null && s.disabledReason?.includes('SENTINEL_SCHEDULES=off'))).toBe(true);
  });

  it('runs the catch-up check once, after the configured delay', async () => {
    const { jobs, scheduler } = await start({ now: '2026-03-04T12:00:00Z', timeZone: 'UTC', catchUpDelayMs: 30_000 });
    await jest.advanceTimersByTimeAsync(29_999);
    expect(jobs.catchUps).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(jobs.catchUps).toEqual(['2026-03-04T12:00:30.000Z']);
    await scheduler.catchUp(); // a second call does nothing
    await jest.advanceTimersByTimeAsync(DAY);
    expect(jobs.catchUps).toHaveLength(1);
  });

  it('whenCaughtUp settles when the catch-up check has ended (at once with schedules off; at shutdown if it never ran)', async () => {
    const settled = (promise: Promise<void>) => Promise.race([promise.then(() => true), Promise.resolve().then(() => Promise.resolve(false))]);
    let finish!: () => void;
    const jobs = new FakeJobs();
    jobs.catchUp = () => new Promise<[]>((resolve) => (finish = () => resolve([])));
    const { scheduler } = await start({ now: '2026-03-04T12:00:00Z', timeZone: 'UTC', catchUpDelayMs: 30_000, jobs });
    const caughtUp = scheduler.whenCaughtUp();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(await settled(caughtUp)).toBe(false); // the check is running
    finish();
    await caughtUp;
    scheduler.onModuleDestroy();

    const off = await start({ now: '2026-03-04T12:00:00Z', timeZone: 'UTC', enabled: false });
    await off.scheduler.whenCaughtUp();
    off.scheduler.onModuleDestroy();

    const stopped = await start({ now: '2026-03-04T12:00:00Z', timeZone: 'UTC', catchUpDelayMs: 30_000 });
    stopped.scheduler.onModuleDestroy();
    await stopped.scheduler.whenCaughtUp();
    expect(stopped.jobs.catchUps).toEqual([]);
  });

  it('shutdown clears every timer', async () => {
    const { jobs, scheduler, registry } = await start({ now: '2026-03-04T12:00:00Z', timeZone: 'UTC', catchUpDelayMs: 30_000 });
    expect(registry.getTimeouts().sort()).toEqual(
      ['backup-catch-up', ...['local-backup', 'r2-backup', 'local-rotation', 'r2-rotation', 'local-verify', 'r2-verify'].map((n) => `scheduled-${n}`)].sort(),
    );
    scheduler.onModuleDestroy();
    expect(registry.getTimeouts()).toEqual([]);
    await jest.advanceTimersByTimeAsync(8 * DAY);
    expect(jobs.fired).toEqual([]);
    expect(jobs.catchUps).toEqual([]);
  });

  it('one failed read of the added targets keeps their timers (no "no longer exists"), and the next read re-times them', async () => {
    const jobs = new FakeJobs();
    const nas: RosterEntry = { id: 'nas', label: 'nas', kind: 'folder', builtIn: false, enabled: true, schedule: 'hourly', path: '/mnt/nas', offReason: 'off' };
    jobs.added = [nas];
    const { scheduler: timers } = await start({ now: '2026-03-04T12:00:00Z', timeZone: 'UTC', jobs });
    const logged: string[] = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void logged.push(String(message)));
    jobs.addedUnreadable = true;
    // The built-ins are still re-timed meanwhile.
    jobs.settings.localSchedule = 'hourly';
    timers.onTargetsChanged();
    await timers.reconcile();
    await jest.advanceTimersByTimeAsync(HOUR);
    expect(jobs.firedOf('nas-backup')).toEqual(['2026-03-04T12:15:00.000Z']);
    expect(jobs.firedOf('local-backup')).toEqual(['2026-03-04T12:15:00.000Z']);
    expect(logged.filter((line) => line.includes('no longer exists'))).toEqual([]);
    // Readable again: the retry (not another event) picks up the change made meanwhile.
    jobs.addedUnreadable = false;
    jobs.added = [{ ...nas, schedule: 'cron:40 * * * *' }];
    await jest.advanceTimersByTimeAsync(HOUR);
    expect(jobs.firedOf('nas-backup')).toEqual(['2026-03-04T12:15:00.000Z', '2026-03-04T13:40:00.000Z']);
  });

  it('keeps trying to arm the jobs while the settings cannot be read', async () => {
    const jobs = new FakeJobs();
    let failures = 2;
    const read = jobs.scheduleSettings.bind(jobs);
    jobs.scheduleSettings = async () => {
      if (failures-- > 0) throw new Error('The databases are not available yet');
      return read();
    };
    await start({ now: '2026-03-04T12:00:00Z', timeZone: 'UTC', jobs });
    await jest.advanceTimersByTimeAsync(2 * 60_000 + DAY);
    expect(jobs.firedOf('local-backup')).toEqual(['2026-03-05T01:00:00.000Z']);
  });
});
