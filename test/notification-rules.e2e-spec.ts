/**
 * What is notified, when and how often, end to end: each failure is caused for real in the running service
 * (a wrong R2 secret, the S3 server stopped, a target nobody configured, a short disk through the DiskSpace
 * port, a damaged archive, a missed schedule under the injected Clock), and a real webhook receiver and a
 * real ping receiver on loopback get what the rules published through the real outbox and dispatcher.
 * The repeat rule: three failures make one message, then one "works again"; a day later, a reminder.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { Clock } from '../src/common/clock.js';
import { DiskSpace } from '../src/common/fs/disk-space.service.js';
import { NOTIFICATION_EVENTS } from '../src/notifications/notification-events.js';
import type { Notification } from '../src/notifications/notification.js';
import { NotificationPublisher } from '../src/notifications/notification-publisher.js';
import { OverdueWatch } from '../src/notifications/rules/overdue-watch.js';
import { RepeatRule } from '../src/notifications/rules/repeat-rule.js';
import { DiskSpaceWatch } from '../src/backup/disk-space-watch.js';
import { ScheduledJobRunner } from '../src/scheduling/scheduled-job-runner.js';
import { tarCzf } from './fixtures/restore-archives.js';
import { startHttpReceiver, type HttpReceiver } from './support/http-receiver.js';
import { configureR2, putSettings, r2SettingsFor } from './support/r2-settings.js';
import { createTestBucket, describeS3, startS3, stopS3, testS3 } from './support/s3-server.js';
import { waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

const DAY = 24 * 60 * 60 * 1000;
const WRONG_SECRET = 'wrong-secret-9f8e7d6c5b4a';

describeS3('What is notified (rules, repeat rule, overdue, disk.low) into real receivers', () => {
  let receiver: HttpReceiver;
  let t: TestApp;
  let bucket: string;
  /** The test clock: the real time plus `shift`, through the app's one Clock. */
  let shift = 0;

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    bucket = await createTestBucket('notify-rules');
    t = await startTestApp({ SENTINEL_STORAGE_MAX_ATTEMPTS: '1', SENTINEL_NOTIFY_RETRY_BASE_MS: '50', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    const clock = t.app.get(Clock);
    const realNow = clock.now.bind(clock);
    jest.spyOn(clock, 'now').mockImplementation(() => new Date(realNow().getTime() + shift));
    const channel = async (body: Record<string, unknown>) => (await t.http.post('/api/notifications/channels').send(body).expect(201)).body;
    await channel({ name: 'all events', type: 'webhook', url: `${receiver.origin}/hook`, events: [...NOTIFICATION_EVENTS] });
    await channel({ name: 'dead man', type: 'ping', url: `${receiver.origin}/ping/check-1`, events: ['backup.succeeded', 'backup.failed'], targets: ['r2'] });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
    await receiver?.close();
  });

  /** The webhook bodies received so far, in order. */
  const webhooks = (): Notification[] => receiver.requests.filter((r) => r.url === '/hook').map((r) => JSON.parse(r.body.toString('utf8')) as Notification);
  /** Waits for the first webhook body from the `from`-th on that matches `match`, and returns it. */
  const webhook = (what: string, match: (n: Notification) => boolean, from = 0) => until(what, () => webhooks().slice(from).find(match), 60_000);
  const backup = async (target: 'local' | 'r2') => waitForJob(t.http, (await t.http.post(`/api/backups/${target}`).expect(202)).body.id);
  const r2Failures = (since: number) =>
    webhooks()
      .slice(since)
      .filter((n) => n.target === 'r2' && n.event === 'backup.failed');

  it('wrong R2 secret: three failed backups make one backup.failed message (code, hint, log lines; the ping /fail has the log); the success then one "works again"', async () => {
    await configureR2(t, bucket, { r2_secret_access_key: WRONG_SECRET });
    const before = webhooks().length;
    for (let i = 0; i < 3; i++) expect(await backup('r2')).toMatchObject({ status: 'failed', error_code: 'STORAGE_ACCESS_DENIED' });
    await putSettings(t, { r2_secret_access_key: testS3().secretAccessKey });
    const good = await backup('r2');
    expect(good.status).toBe('succeeded');

    const worksAgain = await webhook('the works-again message', (n) => n.target === 'r2' && n.resolves !== null, before);
    // The channel's deliveries go in order: everything published before the works-again message has arrived.
    const failures = r2Failures(before);
    expect(failures).toHaveLength(2);
    const [first] = failures;
    expect(first).toMatchObject({
      event: 'backup.failed',
      severity: 'critical',
      target: 'r2',
      title: 'R2 backup failed',
      error_code: 'STORAGE_ACCESS_DENIED',
      last_success: null,
      resolves: null,
      hint: expect.stringContaining('Check the R2 access key and secret'),
      details: expect.objectContaining({ failures: 1, job_id: expect.any(String) }),
    });
    expect(first.log_lines.some((line) => line.includes('R2 backup failed'))).toBe(true);
    expect(first.log_lines[0]).toContain(`(job ${first.details.job_id as string}`);
    expect(worksAgain).toMatchObject({
      event: 'backup.failed',
      severity: 'info',
      title: 'R2 backups work again',
      resolves: { event: 'backup.failed', failures: 3, since: first.details.failing_since },
      last_success: expect.any(String),
      details: expect.objectContaining({ archive: good.filename, backup_kind: 'full', kind_reason: null }),
    });
    expect(worksAgain.message).toMatch(/^R2 backups work again after 3 failures since \d{4}-\d\d-\d\d \d\d:\d\d UTC: sentinel-backup-/);
    expect(
      webhooks()
        .slice(before)
        .filter((n) => n.event === 'backup.succeeded' && n.target === 'r2'),
    ).toHaveLength(1);

    // The ping channel: /start for each of the four, one /fail carrying the log lines, then success pings.
    const pings = receiver.requests.filter((r) => r.url.startsWith('/ping/check-1'));
    expect(pings.filter((r) => r.url === '/ping/check-1/start')).toHaveLength(4);
    const fails = pings.filter((r) => r.url === '/ping/check-1/fail');
    expect(fails).toHaveLength(1);
    expect(fails[0].body.toString('utf8')).toContain('R2 backup failed');
    // No secret in anything a receiver got.
    for (const request of receiver.requests) {
      expect(request.body.toString('utf8')).not.toContain(WRONG_SECRET);
      expect(request.body.toString('utf8')).not.toContain(testS3().secretAccessKey);
    }
  });

  it('S3 server stopped: the failed backup is news again (STORAGE_UNAVAILABLE or a timeout), as the first failure after the recovery', async () => {
    const before = webhooks().length;
    await stopS3();
    try {
      const failed = await backup('r2');
      expect(failed.status).toBe('failed');
      const message = await webhook('the backup.failed message', (n) => n.event === 'backup.failed' && n.target === 'r2', before);
      expect(message).toMatchObject({ title: 'R2 backup failed', error_code: failed.error_code, resolves: null, last_success: expect.any(String) });
      expect(['STORAGE_UNAVAILABLE', 'STORAGE_TIMEOUT']).toContain(message.error_code);
    } finally {
      await startS3();
    }
  });

  it('a scheduled run of an R2 target nobody configured counts as a failure of the same kind: no message within the day, a reminder with the count after it, then "works again"', async () => {
    const before = webhooks().length;
    await putSettings(t, { r2_access_key_id: '' });
    const runner = t.app.get(ScheduledJobRunner);
    expect(await runner.runScheduled('r2')).toMatchObject({ outcome: 'failed' });
    // The rule has counted it (and sent nothing) before the clock moves on.
    await t.app.get(RepeatRule).settled();
    shift += DAY + 60_000;
    expect(await runner.runScheduled('r2')).toMatchObject({ outcome: 'failed' });
    const reminder = await webhook('the reminder', (n) => n.event === 'backup.failed' && n.target === 'r2' && n.title.includes('still failing'), before);
    expect(reminder).toMatchObject({
      error_code: 'TARGET_NOT_CONFIGURED',
      hint: expect.stringContaining('Fill in the target'),
      details: expect.objectContaining({ failures: 3, scheduled_job: 'r2-backup' }),
    });
    expect(reminder.title).toMatch(/^R2 backups still failing: 3 failures since /);
    expect(reminder.message).toMatch(/^R2 backups have failed 3 times since .* \(a reminder, at most once a day\)\. The latest: R2 backup could not start: /);
    await putSettings(t, { r2_access_key_id: r2SettingsFor(bucket).r2_access_key_id });
    expect((await backup('r2')).status).toBe('succeeded');
    const worksAgain = await webhook('works again', (n) => n.target === 'r2' && n.resolves?.event === 'backup.failed', before);
    expect(worksAgain.title).toBe('R2 backups work again');
    // Between them: only the reminder (the not-configured run before the day had passed sent nothing).
    expect(r2Failures(before).map((n) => n.title.replace(/:.*/, ''))).toEqual(['R2 backups still failing', 'R2 backups work again']);
  });

  it('a short disk (the DiskSpace port): the failed local backup and disk.low with free and needed bytes; room again: one message each that it is over', async () => {
    const before = webhooks().length;
    const space = jest.spyOn(t.app.get(DiskSpace), 'available').mockResolvedValue(2 * 1024 * 1024);
    const failed = await backup('local');
    expect(failed).toMatchObject({ status: 'failed', error_code: 'INSUFFICIENT_DISK_SPACE' });
    const low = await webhook('disk.low', (n) => n.event === 'disk.low' && n.resolves === null, before);
    expect(low).toMatchObject({ severity: 'warning', error_code: 'INSUFFICIENT_DISK_SPACE', target: null, title: `Low disk space in ${t.dataDir}` });
    expect(low.details).toMatchObject({ folder: t.dataDir, free_bytes: 2 * 1024 * 1024, needed_bytes: expect.any(Number), targets: ['local', 'r2'] });
    expect(low.details.needed_bytes as number).toBeGreaterThan(64 * 1024 * 1024);
    const localFailed = await webhook('local backup.failed', (n) => n.event === 'backup.failed' && n.target === 'local', before);
    expect(localFailed).toMatchObject({ error_code: 'INSUFFICIENT_DISK_SPACE', hint: expect.stringContaining('Free up disk space') });
    // Checked again while still short: no second disk.low.
    await t.app.get(DiskSpaceWatch).check();
    space.mockRestore();
    expect((await backup('local')).status).toBe('succeeded');
    const enough = await webhook('disk space enough again', (n) => n.event === 'disk.low' && n.resolves !== null, before);
    expect(enough).toMatchObject({ severity: 'info', title: `Disk space in ${t.dataDir} is enough again` });
    await webhook('local works again', (n) => n.target === 'local' && n.resolves?.event === 'backup.failed', before);
    expect(
      webhooks()
        .slice(before)
        .filter((n) => n.event === 'disk.low'),
    ).toHaveLength(2);
  });

  it('a damaged archive: verification.failed with the verdict per database', async () => {
    const good = await backup('local');
    const file = path.join(t.dataDir, 'backups', good.filename);
    damageEntry(file, 'ledger.db');
    const report = (await t.http.post(`/api/backups/local/${good.filename}/verify`).expect(200)).body;
    expect(report.ok).toBe(false);
    const message = await webhook('verification.failed', (n) => n.event === 'verification.failed');
    expect(message).toMatchObject({
      target: 'local',
      severity: 'critical',
      error_code: 'VERIFICATION_FAILED',
      details: expect.objectContaining({ archive: good.filename, verdict: 'failed' }),
    });
    const databases = message.details.databases as Array<{ name: string; ok: boolean; message: string }>;
    expect(databases.filter((db) => !db.ok).map((db) => db.name)).toEqual(['ledger']);
    expect(databases.filter((db) => db.ok).length).toBeGreaterThan(0);
    expect(message.title).toBe(`Local backup ${good.filename} failed verification`);
  });

  it('a missed schedule (the test clock two days on): backup.overdue once, not again at the next checks, then "up to date again" after a backup', async () => {
    const watch = t.app.get(OverdueWatch);
    const before = webhooks().length;
    shift += 2 * DAY;
    await watch.check();
    await watch.check();
    const overdue = await webhook('backup.overdue', (n) => n.event === 'backup.overdue' && n.target === 'local' && n.resolves === null, before);
    expect(overdue).toMatchObject({ severity: 'critical', title: 'Local backup overdue', last_success: expect.any(String) });
    expect(overdue.message).toMatch(/^No Local backup has succeeded within its schedule's period plus the grace: overdue since /);
    expect((await backup('local')).status).toBe('succeeded');
    const upToDate = await webhook('up to date again', (n) => n.event === 'backup.overdue' && n.target === 'local' && n.resolves !== null, before);
    expect(upToDate.title).toBe('Local backups are up to date again');
    expect(
      webhooks()
        .slice(before)
        .filter((n) => n.event === 'backup.overdue' && n.target === 'local'),
    ).toHaveLength(2);
  });

  it('a notification that cannot be written never affects the backup: the job succeeds and the failure is logged', async () => {
    const publish = jest.spyOn(t.app.get(NotificationPublisher), 'publish').mockRejectedValue(new Error('the outbox exploded'));
    try {
      expect((await backup('local')).status).toBe('succeeded');
    } finally {
      publish.mockRestore();
    }
    const log = await until('the listener failure in LOG_FILE', () => {
      const text = fs.readFileSync(t.logFile, 'utf8');
      return text.includes('failed on backup.completed: the outbox exploded') ? text : undefined;
    });
    expect(log).toContain('Listener BackupRules.completed failed on backup.completed: the outbox exploded');
  });
});

/** Rewrites the archive with one byte of `name` flipped (after its checksum was taken), with the system's tar. */
function damageEntry(archive: string, name: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-damage-'));
  try {
    const names = execFileSync('tar', ['tzf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean);
    execFileSync('tar', ['xzf', archive], { cwd: dir });
    const data = fs.readFileSync(path.join(dir, name));
    data[Math.floor(data.length / 2)] ^= 0xff;
    fs.writeFileSync(path.join(dir, name), data);
    fs.rmSync(archive);
    tarCzf(dir, archive, names);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
