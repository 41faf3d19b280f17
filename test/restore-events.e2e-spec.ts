/**
 * The restore module's events, received by an @OnDomainEvent listener in a module of its own inside
 * the real application: each emitted once, with its payload, on the path that causes it. The apply's
 * events are emitted during the start (the restore's bootstrap hook), so this also checks that the
 * listeners are registered by then: a notifier must not miss "the restore was rolled back" or "the
 * service did not start".
 */
import { jest } from '@jest/globals';
import { Injectable, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { AppModule } from '../src/app.module.js';
import { DomainErrorFilter } from '../src/common/errors/domain-error.filter.js';
import { OnDomainEvent } from '../src/common/events/domain-event-bus.js';
import {
  RESTORE_EVENTS,
  RestoreAppliedEvent,
  RestoreApplyFailedEvent,
  RestoreCancelledEvent,
  RestoreRolledBackEvent,
  RestoreStagedEvent,
  RestoreStagingFailedEvent,
  VerificationCompletedEvent,
  VerificationFailedEvent,
} from '../src/restore/restore.events.js';
import { ALL_DATABASES, prepareBackupFolder, tarCzf } from './fixtures/restore-archives.js';
import { archiveName, handMadeBackup, setMarkers } from './fixtures/restore-app.js';
import { makeScratchDir } from './support/test-app.js';
import { until } from './support/until.js';
import { TEST_MASTER_KEY } from './support/test-master-key.js';

const NAMES = ALL_DATABASES;
/** Any duration: the events carry how long their step took (the run history shows it). */
const DURATION = expect.any(Number) as unknown as number;

/** Every restore event any recorder instance received, in order (an app that fails to start leaves no instance to ask). */
const received: object[] = [];
/** What a slow, asynchronous listener (a notifier sending a message) finished handling. */
const notified: RestoreApplyFailedEvent[] = [];
/** The same, from a listener registered with `async: true` (called on a later turn of the event loop). */
const notifiedLater: RestoreApplyFailedEvent[] = [];

@Injectable()
class RestoreEventRecorder {
  @OnDomainEvent(RestoreStagedEvent) staged(event: RestoreStagedEvent): void {
    received.push(event);
  }
  @OnDomainEvent(RestoreStagingFailedEvent) stagingFailed(event: RestoreStagingFailedEvent): void {
    received.push(event);
  }
  @OnDomainEvent(RestoreCancelledEvent) cancelled(event: RestoreCancelledEvent): void {
    received.push(event);
  }
  @OnDomainEvent(RestoreAppliedEvent) applied(event: RestoreAppliedEvent): void {
    received.push(event);
  }
  @OnDomainEvent(RestoreRolledBackEvent) rolledBack(event: RestoreRolledBackEvent): void {
    received.push(event);
  }
  @OnDomainEvent(RestoreApplyFailedEvent) applyFailed(event: RestoreApplyFailedEvent): void {
    received.push(event);
  }
  @OnDomainEvent(RestoreApplyFailedEvent) async notify(event: RestoreApplyFailedEvent): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 300));
    notified.push(event);
  }
  @OnDomainEvent(RestoreApplyFailedEvent, { async: true }) async notifyLater(event: RestoreApplyFailedEvent): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 300));
    notifiedLater.push(event);
  }
  @OnDomainEvent(VerificationCompletedEvent) verified(event: VerificationCompletedEvent): void {
    received.push(event);
  }
  @OnDomainEvent(VerificationFailedEvent) verificationFailed(event: VerificationFailedEvent): void {
    received.push(event);
  }
}

/** A module of the test's own, beside the application's: the way a notifier will listen. */
@Module({ providers: [RestoreEventRecorder] })
class RecorderModule {}

@Module({})
class AppWithRecorder {
  static forRoot(raw: Record<string, string | undefined>) {
    return { module: AppWithRecorder, imports: [AppModule.forRoot(raw), RecorderModule] };
  }
}

describe('Restore events, in the real application', () => {
  let root: string;
  let dataDir: string;
  let app: INestApplication | undefined;
  const http = () => request((app as INestApplication).getHttpServer());
  const backups = () => path.join(dataDir, 'backups');
  const of = <E>(eventClass: new (...args: never[]) => E): E[] => received.filter((e) => e instanceof eventClass) as E[];

  /** Boots the application over `root` (again), as main.ts does: the bootstrap hooks run in init(). */
  async function boot(): Promise<void> {
    const raw = {
      DATA_DIR: dataDir,
      LOG_FILE: path.join(root, 'logs', 'sentinel-backup.log'),
      SENTINEL_SCHEDULES: 'off',
      SENTINEL_MASTER_KEY: TEST_MASTER_KEY,
      TZ: process.env.TZ,
    };
    const created = await NestFactory.create(AppWithRecorder.forRoot(raw), { logger: false, abortOnError: false });
    created.useGlobalFilters(new DomainErrorFilter());
    try {
      await created.init();
    } catch (error) {
      await created.close().catch(() => undefined);
      throw error;
    }
    app = created;
  }
  async function close(): Promise<void> {
    await app?.close();
    app = undefined;
  }
  /** A backup of the databases as they are now, in the local backup folder; then the live ones change, so a restore is visible. */
  async function stageOne(n: number): Promise<string> {
    const filename = archiveName(n);
    handMadeBackup(dataDir, NAMES, backups(), filename);
    await setMarkers(app as INestApplication, 'v2');
    await http().post('/api/backups/local/restore').send({ filename, restart: false }).expect(202);
    return filename;
  }

  beforeEach(async () => {
    received.length = 0;
    notified.length = 0;
    notifiedLater.length = 0;
    root = makeScratchDir('sentinel-restore-events-');
    dataDir = path.join(root, 'data');
    await boot();
    await setMarkers(app as INestApplication, 'v1');
    fs.mkdirSync(backups(), { recursive: true });
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('covers every event of RESTORE_EVENTS (a new restore event gets a listener and a case here)', () => {
    expect(RESTORE_EVENTS).toHaveLength(8);
  });

  it('staged, then cancelled: one event each, naming the archive, its databases and whether the service restarts', async () => {
    const filename = await stageOne(1);
    expect(of(RestoreStagedEvent)).toEqual([new RestoreStagedEvent('local', filename, NAMES, false, DURATION)]);
    await http().delete('/api/backups/local/restore/staged').expect(200);
    expect(of(RestoreCancelledEvent)).toEqual([new RestoreCancelledEvent('local', filename, DURATION)]);
    expect(received).toHaveLength(2);
  });

  // Until issue 18 a failed staging emitted nothing. The run history records every restore attempt with its
  // cause, so it now emits RestoreStagingFailedEvent, and nothing else: no staged event, nothing to apply.
  it('a failed staging emits one RestoreStagingFailedEvent with the code and the reason, and no staged event', async () => {
    const filename = archiveName(2);
    const answer = await http().post('/api/backups/local/restore').send({ filename, restart: false }).expect(404);
    expect(received).toEqual([new RestoreStagingFailedEvent('local', filename, 'BACKUP_NOT_FOUND', answer.body.message, DURATION)]);
  });

  it('applied at the next start: received during the start, with the safety copy', async () => {
    const filename = await stageOne(3);
    await close();
    received.length = 0;
    await boot();
    const status = (await http().get('/api/restore/status').expect(200)).body.last_apply;
    expect(status.outcome).toBe('applied');
    expect(received).toEqual([new RestoreAppliedEvent('local', filename, NAMES, status.safety_copy, false, DURATION)]);
  });

  it('rolled back at the start when a swap fails: received, with the reason and the safety copy put back from', async () => {
    const filename = await stageOne(4);
    await close();
    received.length = 0;
    const rename = fs.promises.rename;
    let swaps = 0;
    jest.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      if (String(from).includes('.restore-staging-') && ++swaps === 2) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      return rename(from, to);
    });
    await boot();
    const status = (await http().get('/api/restore/status').expect(200)).body.last_apply;
    expect(status.outcome).toBe('rolled_back');
    expect(received).toEqual([new RestoreRolledBackEvent('local', filename, status.message, status.safety_copy, DURATION)]);
    expect(status.message).toMatch(/swapping the databases in failed: EIO/);
  });

  it('apply failed, withdrawn: a staged file damaged after staging; the service starts on its databases', async () => {
    const filename = await stageOne(5);
    await close();
    received.length = 0;
    const staging = fs.readdirSync(dataDir).find((e) => e.startsWith('.restore-staging-')) as string;
    fs.appendFileSync(path.join(dataDir, staging, 'ledger.db'), Buffer.alloc(10));
    await boot();
    const status = (await http().get('/api/restore/status').expect(200)).body.last_apply;
    expect(received).toEqual([new RestoreApplyFailedEvent('local', filename, 'withdrawn', status.message, DURATION)]);
    // The service started, so nothing waited for the slow listener: it finishes on its own.
    await until('the slow listeners to finish', () => (notified.length === 1 && notifiedLater.length === 1 ? true : undefined));
    expect(notified).toEqual(received);
    expect(notifiedLater).toEqual(received);
  });

  it('apply failed, not started: the flag cannot be read, the start fails, and the listeners have finished with the event before it does', async () => {
    await close();
    received.length = 0;
    fs.writeFileSync(path.join(dataDir, '.pending-restore'), '{"format": 1,');
    await expect(boot()).rejects.toThrow(/cannot be read/);
    expect(received).toEqual([
      new RestoreApplyFailedEvent(null, null, 'not_started', expect.stringMatching(/^The restore flag .* cannot be read/) as unknown as string, DURATION),
    ]);
    // The process exits right after a failed start: a slow listener had its time first, `async: true` or not.
    expect(notified).toEqual(received);
    expect(notifiedLater).toEqual(received);
  });

  it('verification completed: passed with no problems, failed with one line per problem, with the verdict per database', async () => {
    const good = archiveName(6);
    handMadeBackup(dataDir, NAMES, backups(), good);
    await http().post(`/api/backups/local/${good}/verify`).expect(200);
    const allOk = NAMES.map((name) => ({ name, ok: true, message: 'ok' }));
    expect(received).toEqual([
      new VerificationCompletedEvent('local', good, 'passed', [], false, expect.arrayContaining(allOk) as unknown as typeof allOk, 'manual', DURATION),
    ]);
    expect((received[0] as VerificationCompletedEvent).databases).toHaveLength(NAMES.length);

    // An archive whose ledger.db was changed after its checksum was taken.
    const folder = prepareBackupFolder(path.join(root, 'damaged'), 'x');
    const ledger = fs.readFileSync(path.join(folder, 'ledger.db'));
    ledger[ledger.length - 100] ^= 0xff;
    fs.writeFileSync(path.join(folder, 'ledger.db'), ledger);
    const bad = archiveName(7);
    tarCzf(folder, path.join(backups(), bad), ['backup-metadata.json', ...NAMES.map((n) => `${n}.db`)]);
    const report = (await http().post(`/api/backups/local/${bad}/verify`).expect(200)).body;
    expect(report.ok).toBe(false);
    expect(of(VerificationCompletedEvent)).toHaveLength(2);
    expect(of(VerificationCompletedEvent)[1]).toEqual(
      new VerificationCompletedEvent(
        'local',
        bad,
        'failed',
        [expect.stringMatching(/^ledger\.db: the checksum does not match/) as unknown as string],
        false,
        expect.any(Array),
        'manual',
        DURATION,
      ),
    );
    // The verdict per database: only ledger failed.
    const verdicts = of(VerificationCompletedEvent)[1].databases;
    expect(verdicts.filter((db) => !db.ok).map((db) => db.name)).toEqual(['ledger']);
    expect(verdicts.filter((db) => db.ok)).toHaveLength(NAMES.length - 1);
  });

  it('verification failed: one that cannot reach a verdict (the backup file gone) emits VerificationFailedEvent with the code and the reason', async () => {
    const filename = archiveName(8);
    handMadeBackup(dataDir, NAMES, backups(), filename);
    fs.rmSync(path.join(backups(), filename));
    const answer = await http().post(`/api/backups/local/${filename}/verify`).expect(404);
    expect(received).toEqual([new VerificationFailedEvent('local', filename, 'manual', 'BACKUP_NOT_FOUND', answer.body.message, DURATION)]);
  });
});
