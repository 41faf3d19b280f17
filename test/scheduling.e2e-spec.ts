import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { BackupJobs } from '../src/backup/backup-jobs.js';
import { ScheduleTimers } from '../src/scheduling/schedule-timers.js';
import { ScheduledJobRunner } from '../src/scheduling/scheduled-job-runner.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { seedDatabases } from './support/seed.js';
import { until } from './support/until.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const DAY = 24 * 60 * 60 * 1000;

/** The wall clock in a zone, from Intl: { weekday: 'Sun', day: '01', time: '03:00' }. */
function wallClock(iso: string, timeZone: string): { weekday: string; day: string; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return { weekday: parts.weekday, day: parts.day, time: `${parts.hour}:${parts.minute}` };
}

async function schedules(t: TestApp): Promise<Record<string, any>> {
  const res = await t.http.get('/api/schedules').expect(200);
  return Object.fromEntries(res.body.map((s: { job: string }) => [s.job, s]));
}

function log(t: TestApp): string {
  return fs.existsSync(t.logFile) ? fs.readFileSync(t.logFile, 'utf8') : '';
}

function count(text: string, phrase: string): number {
  return text.split(phrase).length - 1;
}

async function localJobs(t: TestApp): Promise<Array<{ id: string; trigger: string; status: string; filename: string | null; created_at: string }>> {
  return (await t.http.get('/api/backup-jobs?target=local').expect(200)).body;
}

describe('Schedules through the API', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('lists every job with its next run in TZ; a settings change re-times or stops the R2 jobs at once', async () => {
    const zone = 'America/New_York';
    t = await startTestApp({ SENTINEL_SCHEDULES: 'on', TZ: zone, SENTINEL_CATCH_UP_DELAY_SECONDS: '3600' });
    const now = Date.now();
    let jobs = await schedules(t);
    expect(Object.keys(jobs)).toEqual(['local-backup', 'r2-backup', 'local-rotation', 'r2-rotation', 'local-verify', 'r2-verify']);

    expect(jobs['local-backup']).toMatchObject({
      target: 'local',
      task: 'backup',
      enabled: true,
      disabled_reason: null,
      cron: '0 0 1 * * *',
      time_zone: zone,
      schedule: 'daily at 01:00',
    });
    const localNext = jobs['local-backup'].next_run;
    expect(wallClock(localNext, zone).time).toBe('01:00');
    expect(Date.parse(localNext) - now).toBeGreaterThan(0);
    expect(Date.parse(localNext) - now).toBeLessThanOrEqual(DAY + 60 * 60 * 1000); // at most a day (and a DST hour) away
    expect(wallClock(jobs['local-rotation'].next_run, zone).time).toBe('03:30');
    expect(wallClock(jobs['local-verify'].next_run, zone)).toMatchObject({ weekday: 'Sun', time: '04:30' });
    // R2 is off by default: its jobs do not run.
    for (const job of ['r2-backup', 'r2-rotation', 'r2-verify']) {
      expect(jobs[job]).toMatchObject({ enabled: false, next_run: null, disabled_reason: 'R2 backups are turned off (r2_backup_enabled = 0)' });
    }

    await t.http.put('/api/settings/r2_backup_enabled').send({ value: 1 }).expect(200);
    jobs = await schedules(t);
    expect(jobs['r2-backup']).toMatchObject({ enabled: true, cron: '0 0 3 * * *', schedule: 'daily at 03:00' });
    expect(wallClock(jobs['r2-backup'].next_run, zone).time).toBe('03:00');
    expect(Date.parse(jobs['r2-backup'].next_run) - Date.now()).toBeLessThanOrEqual(DAY + 60 * 60 * 1000);
    expect(jobs['r2-rotation'].enabled).toBe(true);

    await t.http.put('/api/settings/r2_backup_schedule').send({ value: 'weekly' }).expect(200);
    jobs = await schedules(t);
    const weekly = jobs['r2-backup'].next_run;
    expect(jobs['r2-backup']).toMatchObject({ cron: '0 0 3 * * 0', schedule: 'Sundays at 03:00' });
    expect(wallClock(weekly, zone)).toMatchObject({ weekday: 'Sun', time: '03:00' });
    expect(Date.parse(weekly) - Date.now()).toBeLessThanOrEqual(7 * DAY + 60 * 60 * 1000); // the coming Sunday, not a later one
    expect(Date.parse(weekly)).toBeGreaterThan(Date.now());

    await t.http.put('/api/settings/r2_backup_schedule').send({ value: 'monthly' }).expect(200);
    jobs = await schedules(t);
    expect(jobs['r2-backup']).toMatchObject({ cron: '0 0 3 1 * *', schedule: 'on the 1st of each month at 03:00' });
    expect(wallClock(jobs['r2-backup'].next_run, zone)).toMatchObject({ day: '01', time: '03:00' });
    expect(Date.parse(jobs['r2-backup'].next_run) - Date.now()).toBeLessThanOrEqual(31 * DAY + 60 * 60 * 1000);

    await t.http.put('/api/settings/r2_backup_enabled').send({ value: 0 }).expect(200);
    jobs = await schedules(t);
    expect(jobs['r2-backup']).toMatchObject({ enabled: false, next_run: null });
    expect(jobs['local-backup'].next_run).toBe(localNext); // untouched

    await t.http.put('/api/settings/local_backup_enabled').send({ value: 0 }).expect(200);
    jobs = await schedules(t);
    expect(jobs['local-backup']).toMatchObject({ enabled: false, next_run: null, disabled_reason: 'Local backups are turned off (local_backup_enabled = 0)' });

    const text = log(t);
    expect(text).toContain(`R2 backup schedule: daily at 03:00 (${zone}); next run `);
    expect(text).toContain(`R2 backup schedule: Sundays at 03:00 (${zone}); next run `);
    expect(text).toContain(`R2 backup rotation schedule: daily at 03:30 (${zone}); next run `);
    expect(text).toContain('R2 backup schedule: off (r2_backup_enabled = 0)');
    // Turning a target off is a choice, not a problem.
    expect(text).not.toMatch(/ (WARN|ERROR) \[Scheduler\]/);
  });

  it('with SENTINEL_SCHEDULES=off every job is listed as not running, with the reason', async () => {
    t = await startTestApp({ SENTINEL_SCHEDULES: 'off' });
    await t.http.put('/api/settings/r2_backup_enabled').send({ value: 1 }).expect(200);
    const jobs = Object.values(await schedules(t));
    expect(jobs).toHaveLength(6);
    for (const job of jobs) expect(job).toMatchObject({ enabled: false, next_run: null, disabled_reason: 'Schedules are turned off (SENTINEL_SCHEDULES=off)' });
    expect(log(t)).toContain('Schedules are off (SENTINEL_SCHEDULES=off)');
  });
});

describe('Scheduled jobs with the local target (real services)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('a scheduled backup runs; a second one within the duplicate window is skipped and the log says so', async () => {
    t = await startTestApp();
    await seedDatabases(t.app, { rows: 50 });
    const scheduled = t.app.get(ScheduledJobRunner);

    const first = await scheduled.runScheduled('local');
    expect(first.outcome).toBe('succeeded');
    const second = await scheduled.runScheduled('local');
    expect(second).toMatchObject({ outcome: 'skipped' });

    const jobs = await localJobs(t);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ trigger: 'scheduled', status: 'succeeded' });
    const text = log(t);
    expect(text).toContain(`Local backup completed: ${jobs[0].filename}`);
    expect(text).toContain(`Local backup skipped: a backup finished less than a minute ago (duplicate window 60 min): ${jobs[0].filename}, scheduled`);
    expect((await schedules(t))['local-backup']).toMatchObject({ last_outcome: 'skipped', last_message: second.message });
  });

  it('rotation deletes old local backups (keeping the newest three); verification checks the newest and keeps the result', async () => {
    t = await startTestApp({}, { keep: true });
    const root = t.root;
    await seedDatabases(t.app, { rows: 100 });
    const backups = t.app.get(BackupJobs);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await backups.runToCompletion('local', 'manual')).filename!);
    // Three of them become old: their age comes from the name.
    const folder = path.join(t.dataDir, 'backups');
    const old = ['sentinel-backup-2025-01-01-010000.tar.gz', 'sentinel-backup-2025-01-02-010000.tar.gz', 'sentinel-backup-2025-01-03-010000.tar.gz'];
    old.forEach((name, i) => fs.renameSync(path.join(folder, made[i]), path.join(folder, name)));
    // As if made by the previous version, which recorded no owner: still this installation's to rotate (none other shares the folder).
    made.forEach((name) => fs.rmSync(path.join(folder, `.${name}.owner`)));
    const scheduled = t.app.get(ScheduledJobRunner);

    const rotation = await scheduled.rotate('local');
    expect(rotation).toEqual({ outcome: 'succeeded', message: 'Local backup rotation: deleted 2, kept 3' });
    expect(fs.readdirSync(folder).sort()).toEqual([old[2], made[3], made[4]].sort());
    expect(log(t)).toMatch(/Local backup rotation: deleted 2 backups older than 90 days, kept 3/);

    // R2 is disabled: its jobs do nothing and log nothing.
    expect((await scheduled.rotate('r2')).outcome).toBe('disabled');
    expect((await scheduled.verifyNewest('r2')).outcome).toBe('disabled');
    expect(log(t)).not.toContain('R2 backup');

    expect(await t.http.get('/api/verifications').expect(200)).toHaveProperty('body', []);
    const verified = await scheduled.verifyNewest('local');
    expect(verified.outcome).toBe('succeeded');
    const newest = [made[3], made[4]].sort().at(-1)!;
    let reports = (await t.http.get('/api/verifications').expect(200)).body;
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ target: 'local', archive: newest, ok: true, problem: null });
    expect(reports[0].databases).toHaveLength(7);
    expect(log(t)).toContain(`Local backup verification of ${newest}: ok`);
    expect((await schedules(t))['local-verify']).toMatchObject({ last_outcome: 'succeeded' });

    // Damage the newest archive: the next verification fails, says so, and the failure is what is kept.
    const file = path.join(folder, newest);
    const bytes = fs.readFileSync(file);
    bytes.fill(0x41, Math.floor(bytes.length / 3), Math.floor(bytes.length / 3) + 4096);
    fs.writeFileSync(file, bytes);
    expect((await scheduled.verifyNewest('local')).outcome).toBe('failed');
    reports = (await t.http.get('/api/verifications').expect(200)).body;
    expect(reports).toEqual([expect.objectContaining({ target: 'local', archive: newest, ok: false })]);
    expect(log(t)).toContain(`Local backup verification FAILED: the newest backup ${newest} could not be restored`);

    // Kept across a restart.
    await t.close();
    t = await startTestApp({}, { root });
    expect((await t.http.get('/api/verifications').expect(200)).body).toEqual([expect.objectContaining({ target: 'local', archive: newest, ok: false })]);
  });

  it('after downtime, a start runs the missed scheduled backup once, soon after start; the next start does not', async () => {
    t = await startTestApp({}, { keep: true });
    const root = t.root;
    await seedDatabases(t.app, { rows: 50 });
    expect((await t.app.get(ScheduledJobRunner).runScheduled('local')).outcome).toBe('succeeded');
    await t.close();

    // The service was down for three days: the last scheduled backup is older than the last 01:00.
    const history = new Database(path.join(root, 'data', '.backup-runs.db'));
    const threeDaysAgo = (iso: string) => new Date(Date.parse(iso) - 3 * DAY).toISOString();
    const row = history.prepare('SELECT id, createdAt, startedAt, finishedAt FROM backup_runs').get() as Record<string, string>;
    history
      .prepare('UPDATE backup_runs SET createdAt = ?, startedAt = ?, finishedAt = ? WHERE id = ?')
      .run(threeDaysAgo(row.createdAt), threeDaysAgo(row.startedAt), threeDaysAgo(row.finishedAt), row.id);
    history.close();

    const booting = Date.now();
    t = await startTestApp({ SENTINEL_SCHEDULES: 'on', SENTINEL_CATCH_UP_DELAY_SECONDS: '2' }, { root, keep: true });
    const caughtUp = await until(
      'the catch-up backup',
      async () => {
        const jobs = await localJobs(t!);
        return jobs.length === 2 && ['succeeded', 'failed'].includes(jobs[0].status) ? jobs[0] : undefined;
      },
      60_000,
      100,
    );
    expect(caughtUp).toMatchObject({ trigger: 'scheduled', status: 'succeeded' });
    // Not during the start: the check waits for its delay.
    expect(Date.parse(caughtUp.created_at) - booting).toBeGreaterThanOrEqual(2000);
    expect(log(t)).toMatch(
      /Local backup catch-up: the scheduled backup due \d{4}-\d{2}-\d{2} 01:00 UTC did not run \(last scheduled backup finished .+\); running one now/,
    );
    // The check has ended (its one backup included): nothing else runs before the next slot, so no second one can come.
    await t.app.get(ScheduleTimers).whenCaughtUp();
    expect(await localJobs(t)).toHaveLength(2); // once
    expect((await schedules(t))['local-backup']).toMatchObject({ last_outcome: 'succeeded' });
    await t.close();

    t = await startTestApp({ SENTINEL_SCHEDULES: 'on', SENTINEL_CATCH_UP_DELAY_SECONDS: '0' }, { root, keep: true });
    await t.app.get(ScheduleTimers).whenCaughtUp();
    expect(await localJobs(t)).toHaveLength(2);
    // Read once the app has closed: LOG_FILE is then complete.
    const logFile = t.logFile;
    await t.close();
    t = undefined;
    expect(count(fs.readFileSync(logFile, 'utf8'), 'Local backup catch-up:')).toBe(1);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describeS3('Scheduled R2 jobs against a real S3 server: the spec log phrases', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('logs "R2 backup" for the scheduled backup and its skip, and "R2 backup rotation" for rotation', async () => {
    t = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
    await configureR2(t, await createTestBucket('schedule'));
    await seedDatabases(t.app, { rows: 50 });
    const scheduled = t.app.get(ScheduledJobRunner);

    const done = await scheduled.runScheduled('r2');
    expect(done.outcome).toBe('succeeded');
    expect((await scheduled.runScheduled('r2')).outcome).toBe('skipped');
    expect((await scheduled.rotate('r2')).outcome).toBe('succeeded');
    expect((await scheduled.verifyNewest('r2')).outcome).toBe('succeeded');

    const lines = log(t).split('\n');
    const grep = (phrase: string) => lines.filter((line) => line.includes(phrase));
    expect(grep('R2 backup completed:')).toHaveLength(1);
    expect(grep('R2 backup skipped: a backup finished less than a minute ago (duplicate window 60 min)')).toHaveLength(1);
    expect(grep('R2 backup rotation: nothing older than 90 days to delete; kept 1 backups')).toHaveLength(1);
    expect(grep('R2 backup verification of ')).toHaveLength(1);
    expect((await t.http.get('/api/verifications').expect(200)).body).toEqual([expect.objectContaining({ target: 'r2', ok: true })]);
  });
});
