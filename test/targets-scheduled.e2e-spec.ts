/**
 * Issue 16: a target added through /api/targets runs on its own exactly like local and r2. The real scheduler's
 * timers fire under the app's Clock (the test clock, shifted to just before a run), backing up a folder target on
 * `hourly` (at :15) and on a cron schedule; PATCH re-arms it, DELETE stops it; its weekly verification runs; GET
 * /api/status and /metrics (checked by promtool) list it; a notification channel filtering on it hears its
 * backups and no other target's; the disk-space watch and the start-up clean-up cover its folder.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DiskSpaceWatch } from '../src/backup/disk-space-watch.js';
import { StartupRecovery } from '../src/backup/startup-recovery.service.js';
import { Clock } from '../src/common/clock.js';
import { LeftoverSweeper } from '../src/common/fs/leftover-sweeper.js';
import { ScheduledJobRunner } from '../src/scheduling/scheduled-job-runner.js';
import { VerificationStore } from '../src/scheduling/verification.store.js';
import type { Notification } from '../src/notifications/notification.js';
import { startHttpReceiver, type HttpReceiver } from './support/http-receiver.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

const METRICS_TOKEN = 'metrics-token-for-the-targets-scheduled-test-0123';

interface Job {
  id: string;
  target: string;
  trigger: string;
  status: string;
  filename: string | null;
  created_at: string;
}

describe('An added target runs on its own like the built-ins (scheduler, verification, status, metrics, notifications)', () => {
  let t: TestApp;
  let receiver: HttpReceiver;
  let folder: string;
  /** The test clock: the real time plus `shift`, through the app's one Clock. */
  let shift = 0;

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    folder = makeScratchDir('sentinel-scheduled-target-');
    t = await startTestApp({
      SENTINEL_SCHEDULES: 'on',
      TZ: 'UTC',
      SENTINEL_CATCH_UP_DELAY_SECONDS: '3600',
      SENTINEL_DUPLICATE_WINDOW_MINUTES: '0',
      SENTINEL_METRICS_TOKEN: METRICS_TOKEN,
      SENTINEL_NOTIFY_RETRY_BASE_MS: '50',
    });
    const clock = t.app.get(Clock);
    const realNow = clock.now.bind(clock);
    jest.spyOn(clock, 'now').mockImplementation(() => new Date(realNow().getTime() + shift));
    await seedDatabases(t.app, { rows: 20 });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
    await receiver?.close();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  /** Sets the test clock to `ms` before `at`. */
  const clockBefore = (at: string, ms = 2_000) => {
    shift = Date.parse(at) - ms - Date.now();
  };
  const jobs = async (target: string): Promise<Job[]> => (await t.http.get(`/api/backup-jobs?target=${target}`).expect(200)).body;
  const schedules = async (): Promise<Record<string, any>> =>
    Object.fromEntries((await t.http.get('/api/schedules').expect(200)).body.map((s: { job: string }) => [s.job, s]));
  const webhooks = (url: string): Notification[] =>
    receiver.requests.filter((r) => r.url === url).map((r) => JSON.parse(r.body.toString('utf8')) as Notification);
  const scheduledRuns = async (target: string, count: number) =>
    until(`${count} scheduled ${target} backup(s) ended`, async () => {
      const ended = (await jobs(target)).filter((j) => j.trigger === 'scheduled' && j.status !== 'running' && j.status !== 'queued');
      return ended.length >= count ? ended : undefined;
    });

  it('an hourly folder target backs up at :15 by its timer; a channel filtering on it hears it, not local', async () => {
    // A channel can name an added target only once it exists: 400 naming the unknown id and listing the ids.
    const refused = await t.http
      .post('/api/notifications/channels')
      .send({ name: 'nas only', type: 'webhook', url: `${receiver.origin}/nas`, targets: ['nas'] })
      .expect(400);
    expect(refused.body.details).toEqual({ field: 'targets' });
    expect(refused.body.message).toMatch(/targets names "nas", which is no target: use ids of existing targets \('local', 'r2'\)/);

    const hour = new Date(Math.ceil((Date.now() + 60_000) / 3_600_000) * 3_600_000 + 15 * 60_000).toISOString();
    clockBefore(hour);
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: folder, schedule: 'hourly' }).expect(201);
    const events = ['backup.succeeded', 'backup.failed'];
    await t.http
      .post('/api/notifications/channels')
      .send({ name: 'nas only', type: 'webhook', url: `${receiver.origin}/nas`, events, targets: ['nas'] })
      .expect(201);
    await t.http
      .post('/api/notifications/channels')
      .send({ name: 'local only', type: 'webhook', url: `${receiver.origin}/local`, events, targets: ['local'] })
      .expect(201);

    const listed = await schedules();
    expect(listed['nas-backup']).toMatchObject({
      target: 'nas',
      task: 'backup',
      enabled: true,
      schedule_value: 'hourly',
      cron: '0 15 * * * *',
      next_run: hour,
    });
    expect(listed['nas-rotation']).toMatchObject({ target: 'nas', enabled: true, cron: '0 30 3 * * *' });
    expect(listed['nas-verify']).toMatchObject({ target: 'nas', enabled: true, cron: '0 30 4 * * 0' });

    const [run] = await scheduledRuns('nas', 1);
    expect(run).toMatchObject({ target: 'nas', trigger: 'scheduled', status: 'succeeded' });
    expect(fs.readdirSync(folder)).toContain(run.filename);
    expect((await schedules())['nas-backup']).toMatchObject({
      last_run: expect.stringMatching(new RegExp(`^${hour.slice(0, 16)}`)),
      last_outcome: 'succeeded',
    });
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain("'nas' backup schedule: every hour at :15 (cron 15 * * * *) (UTC); next run");

    // A manual local backup: the local channel hears it, the nas channel does not.
    expect((await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id)).status).toBe('succeeded');
    await until('the local success at /local', () => webhooks('/local').find((n) => n.event === 'backup.succeeded'));
    await until('the nas success at /nas', () => webhooks('/nas').find((n) => n.event === 'backup.succeeded' && n.target === 'nas'));
    expect(webhooks('/nas').every((n) => n.target === 'nas')).toBe(true);
    expect(webhooks('/local').every((n) => n.target === 'local')).toBe(true);
  });

  it('a cron schedule runs at its time; PATCH re-arms it; its verification runs on Sunday at 04:30', async () => {
    clockBefore('2026-12-07T10:30:00Z');
    const patched = await t.http.patch('/api/targets/nas').send({ schedule: 'cron:30 10 * * *' }).expect(200);
    expect(patched.body.schedule).toBe('cron:30 10 * * *');
    expect((await schedules())['nas-backup']).toMatchObject({ schedule_value: 'cron:30 10 * * *', next_run: '2026-12-07T10:30:00.000Z' });
    const runs = await scheduledRuns('nas', 2);
    expect(runs[0]).toMatchObject({ status: 'succeeded' });
    expect(Date.parse(runs[0].created_at)).toBeGreaterThanOrEqual(Date.parse('2026-12-07T10:30:00Z'));
    expect((await schedules())['nas-backup'].next_run).toBe('2026-12-08T10:30:00.000Z');

    // PATCH to another time re-arms at once.
    await t.http.patch('/api/targets/nas').send({ schedule: 'cron:45 6 * * 1-5' }).expect(200);
    expect((await schedules())['nas-backup']).toMatchObject({ cron: '0 45 6 * * 1-5', next_run: '2026-12-08T06:45:00.000Z' });

    // Turned off and on again just before Sunday 04:30: the verification timer is armed afresh and runs.
    await t.http.patch('/api/targets/nas').send({ enabled: false }).expect(200);
    expect((await schedules())['nas-verify']).toMatchObject({ enabled: false, next_run: null, disabled_reason: expect.stringMatching(/turned off/) });
    clockBefore('2026-12-13T04:30:00Z');
    await t.http.patch('/api/targets/nas').send({ enabled: true }).expect(200);
    const report = await until('the nas verification', async () =>
      (await t.http.get('/api/verifications').expect(200)).body.find((r: { target: string }) => r.target === 'nas'),
    );
    expect(report).toMatchObject({ target: 'nas', ok: true, archive: runs[0].filename });
  });

  it('GET /api/status and /metrics list it by its id (promtool finds the metrics clean); its failure reaches its channel only', async () => {
    const status = (await t.http.get('/api/status').expect(200)).body;
    expect(status.targets.map((x: { target: string }) => x.target)).toEqual(['local', 'r2', 'nas']);
    expect(status.targets[2]).toMatchObject({ target: 'nas', enabled: true, last_result: 'succeeded', last_verification: { verdict: 'passed' } });

    // A backup that fails: the folder's parent is a file.
    const blocker = path.join(folder, 'blocker');
    fs.writeFileSync(blocker, 'not a folder');
    await t.http
      .patch('/api/targets/nas')
      .send({ path: path.join(blocker, 'below') })
      .expect(200);
    const failed = await waitForJob(t.http, (await t.http.post('/api/backups/nas').expect(202)).body.id);
    expect(failed.status).toBe('failed');
    // The message names what to change for this target, not the built-in local's setting.
    expect(failed.error).toMatch(/part of the path is a file, not a folder\. Point the path of target nas \(PATCH \/api\/targets\/nas\) at a folder/);
    await until('the nas failure at /nas', () => webhooks('/nas').find((n) => n.event === 'backup.failed' && n.target === 'nas'));
    expect(webhooks('/local').some((n) => n.target !== 'local')).toBe(false);
    const failing = (await t.http.get('/api/status').expect(200)).body.targets.find((x: { target: string }) => x.target === 'nas');
    expect(failing).toMatchObject({ state: 'failing', consecutive_failures: 1 });

    const metrics = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(metrics.text).toContain('sentinel_backup_target_enabled{target="nas"} 1');
    expect(metrics.text).toContain('sentinel_backup_target_state{target="nas",state="failing"} 1');
    expect(metrics.text).toMatch(/sentinel_backup_job_failures_total\{target="nas"\} 1\n/);
    expect(execFileSync('promtool', ['check', 'metrics'], { input: metrics.text, encoding: 'utf8' })).toBe('');
    await t.http.patch('/api/targets/nas').send({ path: folder }).expect(200);
  });

  it('DELETE stops its jobs: no timer fires for it any more, and the schedules no longer list it', async () => {
    const before = (await jobs('nas')).length;
    clockBefore('2026-12-14T06:45:00Z', 1_500);
    await t.http.patch('/api/targets/nas').send({ schedule: 'cron:46 6 * * 1-5' }).expect(200);
    await t.http.patch('/api/targets/nas').send({ schedule: 'cron:45 6 * * 1-5' }).expect(200);
    expect((await schedules())['nas-backup'].next_run).toBe('2026-12-14T06:45:00.000Z');
    await t.http.delete('/api/targets/nas?confirm=true').expect(200);
    const listed = await schedules();
    expect(Object.keys(listed).filter((name) => name.startsWith('nas-'))).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await jobs('nas')).toHaveLength(before);
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain("'nas' backup schedule: off (target nas no longer exists)");
    expect((await t.http.get('/api/status').expect(200)).body.targets.map((x: { target: string }) => x.target)).toEqual(['local', 'r2']);
  });
});

describe('The disk-space watch, the catch-up after a start and the start-up clean-up cover an added folder target', () => {
  it('watches the folder of an enabled added target, and at the next start removes the unfinished files this installation left there', async () => {
    const folder = makeScratchDir('sentinel-cleanup-target-');
    let t = await startTestApp({}, { keep: true });
    const root = t.root;
    try {
      await t.http.post('/api/targets').send({ id: 'usb', kind: 'folder', path: folder }).expect(201);
      const watched = await t.app.get(DiskSpaceWatch).check();
      expect(watched.some((f) => f.targets.includes('usb'))).toBe(true);
      await t.http.patch('/api/targets/usb').send({ enabled: false }).expect(200);
      expect((await t.app.get(DiskSpaceWatch).check()).some((f) => f.targets.includes('usb'))).toBe(false);
      await t.http.patch('/api/targets/usb').send({ enabled: true }).expect(200);

      // The check after a start for missed scheduled backups covers it: it never had one, so one runs now.
      const caughtUp = await t.app.get(ScheduledJobRunner).catchUp();
      expect(caughtUp.find((r) => r.target === 'usb')).toMatchObject({ outcome: 'succeeded' });
      expect((await t.http.get('/api/backup-jobs?target=usb').expect(200)).body).toEqual([
        expect.objectContaining({ trigger: 'scheduled', status: 'succeeded' }),
      ]);

      // An upload this installation had not finished when it stopped, and one another installation left.
      const ours = t.app.get(LeftoverSweeper).partialFile(folder, 'sentinel_backup_2026-12-01_10-00-00.tar.gz');
      fs.writeFileSync(ours.path, 'half an archive');
      const foreign = path.join(folder, '.sentinel_backup_2026-12-01_10-00-00.tar.gz.0123456789abcdef.partial');
      fs.writeFileSync(foreign, 'not ours');
      await t.close();

      t = await startTestApp({}, { root, keep: true });
      await t.app.get(StartupRecovery).whenAllDone();
      await t.app.get(StartupRecovery).whenDone('usb');
      expect(fs.existsSync(ours.path)).toBe(false);
      expect(fs.existsSync(foreign)).toBe(true);
    } finally {
      await t.close();
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('A list of added targets that cannot be read', () => {
  it('is logged, and local and r2 are scheduled, listed and backed up as before', async () => {
    let t = await startTestApp({}, { keep: true });
    const root = t.root;
    try {
      await t.http
        .post('/api/targets')
        .send({ id: 'usb', kind: 'folder', path: makeScratchDir('sentinel-unreadable-target-') })
        .expect(201);
      await t.close();
      // Another version's (or a hand-made) targets table: the query for the list fails, the settings stay readable.
      const db = new Database(path.join(root, 'data', 'config.db'));
      db.exec('DROP TABLE targets; CREATE TABLE targets (name TEXT)');
      db.close();

      t = await startTestApp({ SENTINEL_SCHEDULES: 'on', SENTINEL_CATCH_UP_DELAY_SECONDS: '3600' }, { root, keep: true });
      await seedDatabases(t.app, { rows: 5 });
      const listed = (await t.http.get('/api/schedules').expect(200)).body.map((s: { job: string }) => s.job);
      expect(listed).toEqual(['local-backup', 'r2-backup', 'local-rotation', 'r2-rotation', 'local-verify', 'r2-verify']);
      expect((await t.http.get('/api/schedules').expect(200)).body[0]).toMatchObject({ job: 'local-backup', enabled: true, next_run: expect.any(String) });
      expect((await t.http.get('/api/status').expect(200)).body.targets.map((x: { target: string }) => x.target)).toEqual(['local', 'r2']);
      expect((await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id)).status).toBe('succeeded');
      const log = fs.readFileSync(t.logFile, 'utf8');
      expect(log).toMatch(/ERROR \[Targets\] Cannot read the added backup targets \(config\.db\): .*only local and r2 run until it can be read/);
      // Said once, not at every timer, status request or scrape.
      expect(log.split('Cannot read the added backup targets').length - 1).toBe(1);
    } finally {
      await t.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('A target id used again after DELETE starts with no history of its own', () => {
  let t: TestApp;
  let oldFolder: string;
  let newFolder: string;
  let shift = 0;

  beforeAll(async () => {
    oldFolder = makeScratchDir('sentinel-reused-old-');
    newFolder = makeScratchDir('sentinel-reused-new-');
    t = await startTestApp({ SENTINEL_SCHEDULES: 'on', TZ: 'UTC', SENTINEL_CATCH_UP_DELAY_SECONDS: '3600', SENTINEL_DUPLICATE_WINDOW_MINUTES: '60' });
    const clock = t.app.get(Clock);
    const realNow = clock.now.bind(clock);
    jest.spyOn(clock, 'now').mockImplementation(() => new Date(realNow().getTime() + shift));
    await seedDatabases(t.app, { rows: 5 });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
    for (const folder of [oldFolder, newFolder]) fs.rmSync(folder, { recursive: true, force: true });
  });

  it("the new 'nas' is not ok by the old one's backup, its 03:15 run is not skipped as recent, and the old runs stay listed", async () => {
    const at = (time: string, ms = 2_000) => {
      shift = Date.parse(time) - ms - Date.now();
    };
    at('2026-12-21T02:50:00Z');
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: oldFolder, schedule: 'daily' }).expect(201);
    const old = await waitForJob(t.http, (await t.http.post('/api/backups/nas').expect(202)).body.id);
    expect(old.status).toBe('succeeded');
    const status = async () => (await t.http.get('/api/status').expect(200)).body.targets.find((x: { target: string }) => x.target === 'nas');
    expect((await status()).last_backup.filename).toBe(old.filename);
    // The old target's verification result, as its Sunday check would have recorded it.
    await t.app.get(VerificationStore).save({
      target: 'nas',
      archive: old.filename,
      ok: true,
      message: 'passed',
      checkedAt: new Date(Date.parse('2026-12-21T02:52:00Z')).toISOString(),
      durationMs: 10,
      backupTimestamp: null,
      databases: [],
      problem: null,
    });

    await t.http.delete('/api/targets/nas?confirm=true').expect(200);
    // Created again 8 s before its first hourly run at 03:15, 25 minutes after the old target's backup (inside
    // the duplicate window: half the hour), so an inherited history would skip that run.
    at('2026-12-21T03:15:00Z', 8_000);
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: newFolder, schedule: 'hourly' }).expect(201);

    const now = await status();
    expect(now.last_backup).toBeNull();
    expect(now.status).not.toBe('ok');
    const verifications = (await t.http.get('/api/verifications').expect(200)).body as Array<{ target: string }>;
    expect(verifications.filter((v) => v.target === 'nas')).toEqual([]);
    // The old target's job stays in the history.
    expect((await t.http.get('/api/backup-jobs?target=nas').expect(200)).body).toEqual([expect.objectContaining({ id: old.id, filename: old.filename })]);

    const ran = await until('the 03:15 nas backup', async () => {
      const jobs = (await t.http.get('/api/backup-jobs?target=nas').expect(200)).body as Array<{
        id: string;
        trigger: string;
        status: string;
        filename: string;
      }>;
      return jobs.find((j) => j.trigger === 'scheduled' && j.status !== 'running' && j.status !== 'queued');
    });
    expect(ran.status).toBe('succeeded');
    expect(fs.readdirSync(newFolder)).toContain(ran.filename);
    expect(fs.readFileSync(t.logFile, 'utf8')).not.toMatch(/'nas' backup skipped: a backup finished/);
    expect((await status()).last_backup.filename).toBe(ran.filename);
  });
});
