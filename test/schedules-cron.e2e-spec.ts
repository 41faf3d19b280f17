import Database from 'better-sqlite3';
import path from 'node:path';
import { Clock } from '../src/common/clock.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Hourly and cron schedules through the API, at fixed instants by the app's Clock (the test clock). */
describe('Hourly and cron schedules through the API', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function job(app: TestApp, name: string): Promise<Record<string, any>> {
    const res = await app.http.get('/api/schedules').expect(200);
    return res.body.find((s: { job: string }) => s.job === name);
  }

  function storedValue(app: TestApp, key: string): string | undefined {
    const db = new Database(path.join(app.dataDir, 'config.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
      return row?.value;
    } finally {
      db.close();
    }
  }

  it('sets, describes and lists hourly and cron schedules across the Berlin changes; refuses a wrong expression naming the field, storing nothing', async () => {
    const zone = 'Europe/Berlin';
    t = await startTestApp({ SENTINEL_SCHEDULES: 'on', TZ: zone, SENTINEL_CATCH_UP_DELAY_SECONDS: '3600' });
    const clock = t.app.get(Clock);
    clock.now = () => new Date('2026-03-28T23:30:00Z'); // 00:30 CET on the spring-forward day

    // Unset, the spec's schedule holds: local daily at 01:00.
    let local = await job(t, 'local-backup');
    expect(local).toMatchObject({ schedule: 'daily at 01:00', cron: '0 0 1 * * *', schedule_value: 'daily', description: `every day at 01:00 ${zone}` });
    expect((await t.http.get('/api/settings/local_backup_schedule').expect(200)).body).toMatchObject({
      value: 'daily',
      source: 'default',
      schedule: { description: `every day at 01:00 ${zone}`, time_zone: zone },
    });

    const put = await t.http.put('/api/settings/local_backup_schedule').send({ value: 'Hourly' }).expect(200);
    const hourlyRuns = [
      '2026-03-29T00:15:00.000Z', // 01:15 CET
      '2026-03-29T01:00:00.000Z', // 02:15 does not exist: 03:00 CEST
      '2026-03-29T01:15:00.000Z',
      '2026-03-29T02:15:00.000Z',
      '2026-03-29T03:15:00.000Z',
    ];
    expect(put.body).toMatchObject({
      value: 'hourly',
      source: 'database',
      schedule: { description: 'every hour at :15', time_zone: zone, next_runs: hourlyRuns },
    });
    local = await job(t, 'local-backup');
    expect(local).toMatchObject({
      enabled: true,
      schedule_value: 'hourly',
      description: 'every hour at :15',
      cron: '0 15 * * * *',
      next_run: hourlyRuns[0],
      next_runs: hourlyRuns,
    });
    // Rotation keeps the spec's slot (03:30 CEST), whatever the backup schedule.
    expect((await job(t, 'local-rotation')).next_runs[0]).toBe('2026-03-29T01:30:00.000Z');

    // A cron schedule for R2, in the autumn change: the repeated 02:30 runs once.
    clock.now = () => new Date('2026-10-24T12:00:00Z');
    await t.http.put('/api/settings/r2_backup_enabled').send({ value: 1 }).expect(200);
    const cron = await t.http.put('/api/settings/r2_backup_schedule').send({ value: 'cron:30 2 * * SUN,thu' }).expect(200);
    expect(cron.body).toMatchObject({
      value: 'cron:30 2 * * SUN,thu',
      schedule: {
        description: `at 02:30 on Sunday and Thursday ${zone}`,
        next_runs: [
          '2026-10-25T00:30:00.000Z', // Sunday 02:30 CEST, the first of the two
          '2026-10-29T01:30:00.000Z', // Thursday 02:30 CET
          '2026-11-01T01:30:00.000Z',
          '2026-11-05T01:30:00.000Z',
          '2026-11-08T01:30:00.000Z',
        ],
      },
    });
    const r2 = await job(t, 'r2-backup');
    expect(r2).toMatchObject({ enabled: true, schedule_value: 'cron:30 2 * * SUN,thu', cron: '0 30 2 * * SUN,thu', next_run: '2026-10-25T00:30:00.000Z' });

    // Wrong expressions: 400 naming the field; the stored value and the armed job are unchanged.
    for (const [value, message] of [
      ['cron:30 2 * * MON-FUN', /^r2_backup_schedule: cron expression '30 2 \* \* MON-FUN': day-of-week field 'MON-FUN': 'FUN' is not a weekday/],
      ['cron:*/2 * * * *', /^r2_backup_schedule: cron expression '\*\/2 \* \* \* \*': minute field '\*\/2': runs 2 minutes apart .*at most every 5 minutes/],
      ['cron:0 3 30 2 *', /day-of-month field '30': no month in the month field '2' has day 30, so the schedule would never run/],
      ['cron:0 0 3 * * *', /has 6 fields, expected five.*seconds are not supported/],
      ['every night', /^r2_backup_schedule must be daily, weekly, monthly, hourly or cron:/],
      [12, /r2_backup_schedule must be daily, weekly, monthly, hourly or cron:<five fields> as a string/],
    ] as const) {
      const res = await t.http.put('/api/settings/r2_backup_schedule').send({ value }).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'SETTING_INVALID' });
      expect(res.body.message).toMatch(message);
    }
    expect(storedValue(t, 'r2_backup_schedule')).toBe('cron:30 2 * * SUN,thu');
    expect((await job(t, 'r2-backup')).next_run).toBe('2026-10-25T00:30:00.000Z');

    // Back to the spec's weekly: Sunday 03:00.
    await t.http.put('/api/settings/r2_backup_schedule').send({ value: 'weekly' }).expect(200);
    expect(await job(t, 'r2-backup')).toMatchObject({ schedule: 'Sundays at 03:00', cron: '0 0 3 * * 0', next_run: '2026-10-25T02:00:00.000Z' });
  });

  it('an hourly target is overdue an hour and a quarter after its last success (GET /api/status)', async () => {
    t = await startTestApp({ TZ: 'UTC' });
    await seedDatabases(t.app, { rows: 10 });
    await t.http.put('/api/settings/local_backup_schedule').send({ value: 'hourly' }).expect(200);
    const done = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(done.status).toBe('succeeded');
    const finished = Date.parse(done.finished_at);
    const deadline = finished + 75 * 60_000; // the hour the success fell in, plus 25 %
    const status = async () => (await t!.http.get('/api/status').expect(200)).body.targets.find((x: { target: string }) => x.target === 'local');
    expect(await status()).toMatchObject({ state: 'ok', overdue_at: new Date(deadline).toISOString() });

    const clock = t.app.get(Clock);
    clock.now = () => new Date(deadline - 1000);
    expect((await status()).state).toBe('ok');
    clock.now = () => new Date(deadline);
    expect(await status()).toMatchObject({ state: 'overdue', overdue_since: new Date(deadline).toISOString() });

    // Back to the spec's daily: the same success is a day and six hours from overdue.
    await t.http.put('/api/settings/local_backup_schedule').send({ value: 'daily' }).expect(200);
    expect((await status()).state).toBe('ok');
  });
});
