import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { BackupRunEntity } from '../src/backup/backup-run.entity.js';
import { BackupRunStore } from '../src/backup/backup-run.store.js';
import type { AppConfig } from '../src/config/app-config.js';
import { ArchiveProvenance } from '../src/encryption/archive-provenance.store.js';
import { EncryptionDatabase } from '../src/encryption/store/encryption-database.js';
import { AlertStateEntity } from '../src/notifications/rules/alert-state.entity.js';
import { AlertStateStore } from '../src/notifications/rules/alert-state.store.js';
import { NotificationsDatabase } from '../src/notifications/store/notifications-database.js';
import { makeScratchDir } from './support/test-app.js';
import { fillDisk, mountTmpfs, unmountTmpfs } from './support/tmpfs.js';

/**
 * Every store on its own TypeORM DataSource (better-sqlite3) in DATA_DIR, on a real disk that fills: a write the
 * full disk refuses fails, and once space is freed the next write is saved for good, found after the file is
 * closed and opened again. (SQLite rolls a transaction back by itself on SQLITE_FULL; TypeORM's single query
 * runner then stayed "in a transaction", and every later write went into one nobody committed.)
 */
describe('stores on a disk that fills and is freed again', () => {
  let root: string;
  let mount: string | undefined;

  beforeEach(() => {
    root = makeScratchDir('sentinel-full-disk-');
    mount = mountTmpfs(path.join(root, 'data'), '1m');
  });

  afterEach(() => {
    unmountTmpfs(mount);
    fs.rmSync(root, { recursive: true, force: true });
  });

  const configOf = (dataDir: string): AppConfig => ({ env: { dataDir } }) as AppConfig;

  const big = 'x'.repeat(20_000);

  it('.notifications.db: the repeat rule state written after a refused write survives a restart', async () => {
    if (!mount) return;
    const database = new NotificationsDatabase(configOf(mount));
    await database.onModuleInit();
    const store = new AlertStateStore(database);
    await store.save(alertState('before'));

    const free = fillDisk(mount);
    // Twice: the disk stays full a while (the second refused write used to leave SQLite's transaction open).
    await expect(store.save(alertState(big))).rejects.toThrow(/full/);
    await expect(store.save(alertState(`${big}2`))).rejects.toThrow(/full/);
    free();
    await store.save(alertState('after'));
    await store.save(alertState('later'));
    await database.onApplicationShutdown();

    const reopened = new NotificationsDatabase(configOf(mount));
    await reopened.onModuleInit();
    const again = new AlertStateStore(reopened);
    expect((await again.get('before'))?.event).toBe('backup.failed');
    expect((await again.get('after'))?.event).toBe('backup.failed');
    expect((await again.get('later'))?.event).toBe('backup.failed');
    expect(await again.get(big)).toBeNull();
    await reopened.onApplicationShutdown();
  });

  it('.encryption.db: a provenance record written after a refused write survives a restart', async () => {
    if (!mount) return;
    const database = new EncryptionDatabase(configOf(mount));
    await database.onModuleInit();
    const provenance = new ArchiveProvenance(database);
    await provenance.record(archive('before.tar.gz'));

    const free = fillDisk(mount);
    await expect(provenance.record(archive(big))).rejects.toThrow(/full/);
    await expect(provenance.record(archive(`${big}2`))).rejects.toThrow(/full/);
    free();
    await provenance.record(archive('after.tar.gz'));
    await provenance.record(archive('later.tar.gz'));
    await database.onModuleDestroy();

    const reopened = new EncryptionDatabase(configOf(mount));
    await reopened.onModuleInit();
    const again = new ArchiveProvenance(reopened);
    expect([...(await again.findAll('local')).keys()].sort()).toEqual(['after.tar.gz', 'before.tar.gz', 'later.tar.gz']);
    await reopened.onModuleDestroy();
  });

  it('.backup-runs.db: a job saved after a refused save survives a restart', async () => {
    if (!mount) return;
    const store = new BackupRunStore(configOf(mount));
    await store.onModuleInit();
    await store.save(run('before', null));

    const free = fillDisk(mount);
    await expect(store.save(run('refused', big))).rejects.toThrow(/full/);
    await expect(store.save(run('refused again', big))).rejects.toThrow(/full/);
    free();
    await store.save(run('after', 'written once space was freed'));
    await store.save(run('later', null));
    await store.onModuleDestroy();

    const reopened = new BackupRunStore(configOf(mount));
    await reopened.onModuleInit();
    expect((await reopened.history({ limit: 10 })).map((saved) => saved.id).sort()).toEqual(['after', 'before', 'later']);
    expect((await reopened.find('after'))?.error).toBe('written once space was freed');
    await reopened.onModuleDestroy();
  });
});

function alertState(key: string): AlertStateEntity {
  const at = new Date().toISOString();
  return Object.assign(new AlertStateEntity(), { key, event: 'backup.failed', since: at, failures: 1, lastFailureAt: at, lastSentAt: at });
}

function archive(filename: string) {
  return { target: 'local' as const, filename, sha256: '0'.repeat(64), sizeBytes: 1, recipients: null, createdAt: new Date() };
}

function run(id: string, error: string | null): BackupRunEntity {
  const at = new Date().toISOString();
  return Object.assign(new BackupRunEntity(), {
    id,
    target: 'local',
    trigger: 'manual',
    status: 'succeeded',
    phase: 'done',
    bytesDone: 0,
    bytesTotal: 0,
    filename: null,
    sizeBytes: null,
    createdAt: at,
    startedAt: at,
    finishedAt: at,
    durationMs: 1,
    error,
    errorCode: null,
    sha256: null,
    encrypted: null,
    recipients: null,
  });
}
