/**
 * The scheduling module's events, in the real app from real causes: a scheduled run that does not
 * become a job (an R2 target enabled without settings, an endpoint where nothing listens, a damaged
 * database, a backup already running, no room to verify) emits ScheduledRunSkippedEvent or
 * ScheduledRunFailedEvent once, with the reason or error code a notifier words.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { jest } from '@jest/globals';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BackupFailedEvent } from '../src/backup/backup.events.js';
import { BackupJobs } from '../src/backup/backup-jobs.js';
import { DiskSpace } from '../src/common/fs/disk-space.service.js';
import { ScheduledJobRunner } from '../src/scheduling/scheduled-job-runner.js';
import { SCHEDULING_EVENTS, ScheduledRunFailedEvent, ScheduledRunSkippedEvent } from '../src/scheduling/scheduling.events.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

/** Every scheduling event the app emits, in order. */
function recordSchedulingEvents(t: TestApp): object[] {
  const seen: object[] = [];
  const emitter = t.app.get(EventEmitter2);
  for (const event of SCHEDULING_EVENTS) emitter.on(event.eventName, (e: object) => seen.push(e));
  return seen;
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function putSettings(t: TestApp, values: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await t.http.put(`/api/settings/${key}`).send({ value }).expect(200);
}

describe('Scheduling events from real causes', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    jest.restoreAllMocks();
    await t?.close();
    t = undefined;
  });

  it('R2 enabled but not configured: the backup, the rotation and the verification are each skipped as not_configured, once', async () => {
    t = await startTestApp();
    const seen = recordSchedulingEvents(t);
    await putSettings(t, { r2_backup_enabled: 1 });
    const runner = t.app.get(ScheduledJobRunner);
    await runner.runScheduled('r2');
    await runner.rotate('r2');
    await runner.verifyNewest('r2');
    expect(seen).toHaveLength(3);
    const missing = /R2 is not configured: set .*r2_bucket_name/;
    expect(seen[0]).toEqual(new ScheduledRunSkippedEvent('r2-backup', 'r2', 'backup', 'not_configured', expect.stringMatching(missing) as never));
    expect(seen[1]).toEqual(new ScheduledRunSkippedEvent('r2-rotation', 'r2', 'rotation', 'not_configured', expect.stringMatching(missing) as never));
    expect(seen[2]).toEqual(new ScheduledRunSkippedEvent('r2-verify', 'r2', 'verification', 'not_configured', expect.stringMatching(missing) as never));
  });

  it('an R2 endpoint where nothing listens: rotation and verification fail as STORAGE_UNAVAILABLE; the backup became a job and is told by BackupFailedEvent only', async () => {
    t = await startTestApp({ SENTINEL_STORAGE_MAX_ATTEMPTS: '1' });
    const seen = recordSchedulingEvents(t);
    const port = await closedPort();
    await putSettings(t, {
      r2_endpoint: `http://127.0.0.1:${port}`,
      r2_access_key_id: 'sentinel-test-key',
      r2_secret_access_key: 'sentinel-test-secret-value',
      r2_bucket_name: 'sentinel-unreachable',
      r2_backup_enabled: 1,
    });
    const failedJobs: BackupFailedEvent[] = [];
    t.app.get(EventEmitter2).on(BackupFailedEvent.eventName, (e: BackupFailedEvent) => failedJobs.push(e));
    const runner = t.app.get(ScheduledJobRunner);

    expect((await runner.runScheduled('r2')).outcome).toBe('failed');
    expect(failedJobs).toHaveLength(1);
    expect(seen).toEqual([]);

    await runner.rotate('r2');
    await runner.verifyNewest('r2');
    expect(seen).toEqual([
      new ScheduledRunFailedEvent(
        'r2-rotation',
        'r2',
        'rotation',
        'STORAGE_UNAVAILABLE',
        expect.stringMatching(/^R2 backup rotation failed: .*connection refused/) as never,
      ),
      new ScheduledRunFailedEvent(
        'r2-verify',
        'r2',
        'verification',
        'STORAGE_UNAVAILABLE',
        expect.stringMatching(/^R2 backup verification could not list the backups: .*connection refused/) as never,
      ),
    ]);
    for (const event of seen as ScheduledRunFailedEvent[]) expect(event.message).not.toContain('sentinel-test-secret-value');
  });

  it('local: nothing to verify, a backup already running, a backup just made, then no room to verify it', async () => {
    t = await startTestApp();
    const seen = recordSchedulingEvents(t);
    await seedDatabases(t.app, { rows: 50 });
    const runner = t.app.get(ScheduledJobRunner);

    await runner.verifyNewest('local');
    expect(seen).toEqual([
      new ScheduledRunSkippedEvent(
        'local-verify',
        'local',
        'verification',
        'no_backup_to_verify',
        'Local backup verification: there is no backup to verify yet',
      ),
    ]);

    // Started in the same tick as the scheduled run: the manual job is certainly still running.
    const manual = await t.app.get(BackupJobs).start('local', 'manual');
    await runner.runScheduled('local');
    expect(seen.slice(1)).toEqual([
      new ScheduledRunSkippedEvent('local-backup', 'local', 'backup', 'already_running', expect.stringContaining(`job ${manual.id}, manual`) as never),
    ]);
    const job = await waitForJob(t.http, manual.id);
    expect(job.status).toBe('succeeded');

    await runner.runScheduled('local');
    expect(seen.slice(2)).toEqual([
      new ScheduledRunSkippedEvent('local-backup', 'local', 'backup', 'recent_backup', expect.stringContaining(`${job.filename}, manual`) as never),
    ]);

    jest.spyOn(t.app.get(DiskSpace), 'available').mockResolvedValue(1024);
    await runner.verifyNewest('local');
    expect(seen.slice(3)).toEqual([
      new ScheduledRunFailedEvent(
        'local-verify',
        'local',
        'verification',
        'INSUFFICIENT_DISK_SPACE',
        expect.stringMatching(new RegExp(`^Local backup verification of ${job.filename} could not run: Not enough free disk space`)) as never,
      ),
    ]);
  });

  it('a damaged database: the scheduled backup is refused before any job, as DATABASE_DAMAGED', async () => {
    const root = makeScratchDir('sentinel-sched-damaged-');
    fs.mkdirSync(path.join(root, 'data'), { recursive: true });
    fs.writeFileSync(path.join(root, 'data', 'ledger.db'), Buffer.alloc(8192, 0x5a));
    t = await startTestApp({}, { root });
    const seen = recordSchedulingEvents(t);
    const result = await t.app.get(ScheduledJobRunner).runScheduled('local');
    expect(result.outcome).toBe('failed');
    expect(seen).toEqual([
      new ScheduledRunFailedEvent(
        'local-backup',
        'local',
        'backup',
        'DATABASE_DAMAGED',
        expect.stringMatching(/^Local backup could not start: .*ledger\.db .*damaged/) as never,
      ),
    ]);
    expect((await t.http.get('/api/backup-jobs?target=local').expect(200)).body).toEqual([]);
  });
});
