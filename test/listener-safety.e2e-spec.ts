/**
 * A listener is never a step of the work that emitted the event. For every domain event the modules
 * declare, the real app gets a listener that throws, one whose promise rejects and one that never
 * settles, all through the real @OnDomainEvent; then a scheduled backup, manual backups (one failing),
 * a rotation (one failing), a verification (one that cannot run), a disk found short and then with room again, scheduled runs that do not become jobs, a settings change and restores
 * (a staging that fails; staged and cancelled; staged, restarted and applied; withdrawn; rolled back) all behave as without
 * them, and LOG_FILE names each failure with its event and listener.
 */
import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { BACKUP_EVENTS } from '../src/backup/backup.events.js';
import { BackupJobs } from '../src/backup/backup-jobs.js';
import { DiskSpaceWatch } from '../src/backup/disk-space-watch.js';
import type { DomainEventClass } from '../src/common/events/domain-event.js';
import { OnDomainEvent } from '../src/common/events/domain-event-bus.js';
import { DiskSpace } from '../src/common/fs/disk-space.service.js';
import { REPLICATION_EVENTS } from '../src/replication/replication.events.js';
import { putSettings, r2SettingsFor } from './support/r2-settings.js';
import { createTestBucket, isTestS3Enabled } from './support/s3-server.js';
import { RESTORE_EVENTS } from '../src/restore/restore.events.js';
import { ScheduledJobRunner } from '../src/scheduling/scheduled-job-runner.js';
import { SCHEDULING_EVENTS } from '../src/scheduling/scheduling.events.js';
import { SettingsChangedEvent } from '../src/settings/settings-changed.event.js';
import { ALL_DATABASES } from './fixtures/restore-archives.js';
import { expectedMarkers, markers, restoreWorkFiles, setMarkers } from './fixtures/restore-app.js';
import { assertServiceBuilt, startService } from './fixtures/restore-service.js';
import { waitForJob } from './support/seed.js';
import { until } from './support/until.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const EVENTS: readonly DomainEventClass[] = [
  ...BACKUP_EVENTS,
  ...RESTORE_EVENTS,
  // Replication needs a second target that works: the S3 server (off with SENTINEL_TEST_S3=off).
  ...(isTestS3Enabled() ? REPLICATION_EVENTS : []),
  ...SCHEDULING_EVENTS,
  SettingsChangedEvent,
];

/** How many times each kind of listener was called, per event name (shared by every boot of the app). */
const calls = new Map<string, number>();
const count = (kind: string, event: DomainEventClass) => calls.get(`${kind} ${event.eventName}`) ?? 0;

/** A class with one `on<EventClass>` method per event, each doing `behave` and decorated with the real @OnDomainEvent. */
function listenersClass(name: string, behave: (event: DomainEventClass) => unknown): new () => object {
  const cls = { [name]: class {} }[name];
  for (const event of EVENTS) {
    const method = `on${event.name}`;
    Object.defineProperty(cls.prototype, method, {
      configurable: true,
      writable: true,
      value: function () {
        calls.set(`${name} ${event.eventName}`, (calls.get(`${name} ${event.eventName}`) ?? 0) + 1);
        return behave(event);
      },
    });
    const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method)!;
    Object.defineProperty(cls.prototype, method, OnDomainEvent(event)(cls.prototype, method, descriptor) ?? descriptor);
  }
  Injectable()(cls);
  return cls;
}

const ThrowingListeners = listenersClass('ThrowingListeners', (event) => {
  throw new Error(`a listener of ${event.eventName} threw`);
});
const RejectingListeners = listenersClass('RejectingListeners', async (event) => {
  await Promise.resolve();
  throw new Error(`a listener of ${event.eventName} rejected`);
});
const HangingListeners = listenersClass('HangingListeners', () => new Promise(() => undefined));

@Module({ providers: [ThrowingListeners, RejectingListeners, HangingListeners] })
class MisbehavingListenersModule {}

describe('Listeners that throw, reject or hang, on every domain event', () => {
  let root: string;
  let t: TestApp | undefined;

  const boot = async (env: Record<string, string> = {}) => {
    t = await startTestApp({ SENTINEL_STORAGE_MAX_ATTEMPTS: '1', ...env }, { root, keep: true, imports: [MisbehavingListenersModule] });
    return t;
  };
  const close = async () => {
    await t?.close();
    t = undefined;
  };
  const backups = () => path.join(root, 'data', 'backups');
  const staging = () => fs.readdirSync(path.join(root, 'data')).find((e) => e.startsWith('.restore-staging-')) as string;

  beforeAll(() => {
    // The kill -9 mid-apply is the real service's (SENTINEL_RESTORE_FAULT), so dist/ must be built.
    assertServiceBuilt();
    root = makeScratchDir('sentinel-listeners-');
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the scheduler, backups, rotation, verification and settings work as without them', async () => {
    // The catch-up check at once: a scheduled backup fired by ScheduleTimers, not called by the test.
    const app = await boot({ SENTINEL_SCHEDULES: 'on', SENTINEL_CATCH_UP_DELAY_SECONDS: '0' });
    const runner = app.app.get(ScheduledJobRunner);
    const scheduled = await until('the catch-up backup', () => {
      const last = runner.lastRun('local-backup');
      return last && last.outcome !== 'running' ? last : undefined;
    });
    expect(scheduled).toMatchObject({ outcome: 'succeeded', message: expect.stringMatching(/^Local backup completed: sentinel-backup-.*\.tar\.gz$/) });

    await setMarkers(app.app, 'v1');
    const manual = await waitForJob(app.http, (await app.http.post('/api/backups/local').expect(202)).body.id);
    expect(manual).toMatchObject({ status: 'succeeded', error: null });
    expect(fs.existsSync(path.join(backups(), manual.filename))).toBe(true);

    const space = jest.spyOn(app.app.get(DiskSpace), 'available').mockResolvedValue(1024 * 1024);
    const failed = await waitForJob(app.http, (await app.http.post('/api/backups/local').expect(202)).body.id);
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/^Not enough free disk space/) });
    // The disk watch (it also checked after that backup): short, then room again.
    const watch = app.app.get(DiskSpaceWatch);
    expect((await watch.check()).map((folder) => folder.freeBytes < folder.neededBytes)).toContain(true);
    space.mockRestore();
    expect((await watch.check()).every((folder) => folder.freeBytes >= folder.neededBytes)).toBe(true);

    const rotated = await app.http.post('/api/backups/local/rotate').expect(200);
    expect(rotated.body).toMatchObject({ target: 'local' });
    // A rotation that cannot list the backups (the folder is a file) fails as without the listeners, and nothing else changes.
    fs.writeFileSync(path.join(root, 'not-a-folder'), 'a file');
    await app.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(root, 'not-a-folder') })
      .expect(200);
    expect((await app.http.post('/api/backups/local/rotate')).status).toBeGreaterThanOrEqual(400);
    await app.http.put('/api/settings/local_backup_dir').send({ value: backups() }).expect(200);
    const verified = await app.http.post(`/api/backups/local/${manual.filename}/verify`).expect(200);
    expect(verified.body).toMatchObject({ ok: true, archive: manual.filename });

    // Scheduled runs that do not become jobs: a backup running, then no room to verify.
    const running = await app.app.get(BackupJobs).start('local', 'manual');
    expect((await runner.runScheduled('local')).outcome).toBe('skipped');
    await waitForJob(app.http, running.id);
    jest.spyOn(app.app.get(DiskSpace), 'available').mockResolvedValue(1024);
    expect(await runner.verifyNewest('local')).toMatchObject({
      outcome: 'failed',
      message: expect.stringMatching(/could not run: Not enough free disk space/),
    });
    jest.restoreAllMocks();

    await app.http.put('/api/settings/r2_backup_schedule').send({ value: 'weekly' }).expect(200);
    expect((await app.http.get('/api/settings/r2_backup_schedule').expect(200)).body.value).toBe('weekly');
    // ScheduleTimers heard the change although the listeners before it threw.
    await app.http.put('/api/settings/r2_backup_enabled').send({ value: 1 }).expect(200);
    const jobs = (await app.http.get('/api/schedules').expect(200)).body as Array<{ job: string; enabled: boolean; schedule: string }>;
    expect(jobs.find((j) => j.job === 'r2-backup')).toMatchObject({ enabled: true, schedule: 'Sundays at 03:00' });
    await app.http.put('/api/settings/r2_backup_enabled').send({ value: 0 }).expect(200);
  });

  it('a backup cancelled while it runs ends cancelled, the throwing listeners on backup.cancelled notwithstanding', async () => {
    const app = t!;
    // Cancelled right after it starts; a small backup may finish before the cancel arrives (409), so it tries again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const started = (await app.http.post('/api/backups/local').expect(202)).body.id as string;
      const answer = await app.http.post(`/api/backup-jobs/${started}/cancel`);
      if (answer.status === 200) {
        expect(answer.body).toMatchObject({ id: started, status: 'cancelled', error_code: 'BACKUP_CANCELLED' });
        // The next backup works.
        expect((await waitForJob(app.http, (await app.http.post('/api/backups/local').expect(202)).body.id)).status).toBe('succeeded');
        return;
      }
      expect(answer.status).toBe(409);
      await waitForJob(app.http, started);
    }
    throw new Error('Each of 5 backups finished before its cancel arrived');
  });

  // Replication needs a second target that works: the S3 server (off with SENTINEL_TEST_S3=off).
  (isTestS3Enabled() ? it : it.skip)(
    'a replication after a backup succeeds, and one fails',
    async () => {
      const app = t!;
      // A replication after a backup that succeeds (R2 copies it), then one that fails (a bucket that does not exist).
      await putSettings(app, { ...r2SettingsFor(await createTestBucket('listeners')), r2_replicate_from: 'local' });
      await waitForJob(app.http, (await app.http.post('/api/backups/local').expect(202)).body.id);
      await until('a replication that succeeded', async () =>
        (await app.http.get('/api/backup-jobs?kind=replication').expect(200)).body.find((job: { status: string }) => job.status === 'succeeded'),
      );
      await putSettings(app, { r2_bucket_name: 'no-such-bucket-listeners' });
      await waitForJob(app.http, (await app.http.post('/api/backups/local').expect(202)).body.id);
      await until('a replication that failed', async () =>
        (await app.http.get('/api/backup-jobs?kind=replication').expect(200)).body.find((job: { status: string }) => job.status === 'failed'),
      );
      // R2 unconfigured again, as the rest of the scenario (its restarts) had it before.
      await putSettings(app, { r2_replicate_from: '', r2_endpoint: '', r2_access_key_id: '', r2_secret_access_key: '', r2_bucket_name: '' });
    },
    300_000,
  );

  it('a restore is staged and cancelled; staged, restarted and applied; withdrawn when a staged file is damaged; rolled back when a swap fails or after a kill mid-apply', async () => {
    const app = t!;
    const [{ filename }] = (await app.http.get('/api/backups/local').expect(200)).body.filter((b: { filename: string }) => b.filename);
    await app.http.post('/api/backups/local/restore').send({ filename, restart: false }).expect(202);
    await app.http.delete('/api/backups/local/restore/staged').expect(200);
    expect((await app.http.get('/api/restore/status').expect(200)).body.staged).toBeNull();
    // A staging that fails (no such backup) answers as without the listeners, and stages nothing.
    await app.http.post('/api/backups/local/restore').send({ filename: 'sentinel-backup-2020-01-01-000000.tar.gz', restart: false }).expect(404);
    expect((await app.http.get('/api/restore/status').expect(200)).body.staged).toBeNull();

    await app.http.post('/api/backups/local/restore').send({ filename, restart: false }).expect(202);
    await setMarkers(app.app, 'v2');
    await close();
    let again = await boot();
    expect((await again.http.get('/api/restore/status').expect(200)).body.last_apply).toMatchObject({ outcome: 'applied', archive: filename });
    expect(await markers(again.app)).toEqual(expectedMarkers('v1', ALL_DATABASES));

    await setMarkers(again.app, 'v3');
    await again.http.post('/api/backups/local/restore').send({ filename, restart: false }).expect(202);
    await close();
    fs.appendFileSync(path.join(root, 'data', staging(), 'ledger.db'), Buffer.alloc(10));
    again = await boot();
    expect((await again.http.get('/api/restore/status').expect(200)).body.last_apply).toMatchObject({ outcome: 'failed' });
    expect(await markers(again.app)).toEqual(expectedMarkers('v3', ALL_DATABASES));

    await again.http.post('/api/backups/local/restore').send({ filename, restart: false }).expect(202);
    await close();
    const rename = fs.promises.rename;
    let swaps = 0;
    jest.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      if (String(from).includes('.restore-staging-') && ++swaps === 4) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      return rename(from, to);
    });
    again = await boot();
    jest.restoreAllMocks();
    expect((await again.http.get('/api/restore/status').expect(200)).body.last_apply).toMatchObject({ outcome: 'rolled_back' });
    expect(await markers(again.app)).toEqual(expectedMarkers('v3', ALL_DATABASES));
    expect(restoreWorkFiles(again.dataDir)).toEqual([]);

    // Killed mid-swap (by the real service, without these listeners), a staged file then lost: the next start rolls back.
    await again.http.post('/api/backups/local/restore').send({ filename, restart: false }).expect(202);
    await close();
    const crashing = await startService(root, { SENTINEL_RESTORE_FAULT: 'apply:swapped-3' });
    expect((await crashing.exited).signal).toBe('SIGKILL');
    fs.rmSync(path.join(root, 'data', staging(), `${ALL_DATABASES[4]}.db`));
    again = await boot();
    expect((await again.http.get('/api/restore/status').expect(200)).body.last_apply).toMatchObject({ outcome: 'rolled_back' });
    expect(await markers(again.app)).toEqual(expectedMarkers('v3', ALL_DATABASES));
    await again.http.get('/api/health').expect(200);
    // Closed, so that LOG_FILE is complete for the next test.
    await close();
  });

  it('every event reached all three listeners, and each failure is in LOG_FILE with the event and the listener', () => {
    const log = fs.readFileSync(path.join(root, 'logs', 'sentinel-backup.log'), 'utf8');
    const notEmitted: string[] = [];
    const notLogged: string[] = [];
    for (const event of EVENTS) {
      const emitted = count('HangingListeners', event);
      if (emitted === 0) {
        // Every event of the modules' arrays must be caused by the scenario above.
        notEmitted.push(event.name);
        continue;
      }
      // Every listener was called every time: a throw or a hang before it did not stop it.
      expect([event.name, count('ThrowingListeners', event), count('RejectingListeners', event)]).toEqual([event.name, emitted, emitted]);
      for (const [listener, verb] of [
        ['ThrowingListeners', 'threw'],
        ['RejectingListeners', 'rejected'],
      ]) {
        const line = `ERROR [DomainEvents] Listener ${listener}.on${event.name} failed on ${event.eventName}: a listener of ${event.eventName} ${verb}`;
        if (!log.includes(line)) notLogged.push(line);
      }
    }
    expect(notEmitted).toEqual([]);
    expect(notLogged).toEqual([]);
  });
});
