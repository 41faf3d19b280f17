import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { BackupRunEntity } from './backup-run.entity.js';
import { BackupRunStore, RUN_HISTORY_FILE } from './backup-run.store.js';

/** `.backup-runs.db` exactly as the first wave's BackupRunEntity had TypeORM create it (no error code column). */
const FIRST_WAVE_SCHEMA = `
  CREATE TABLE "backup_runs" ("id" text PRIMARY KEY NOT NULL, "target" text NOT NULL, "trigger" text NOT NULL, "status" text NOT NULL,
    "phase" text NOT NULL, "bytesDone" integer NOT NULL DEFAULT (0), "bytesTotal" integer NOT NULL DEFAULT (0), "filename" text,
    "sizeBytes" integer, "createdAt" text NOT NULL, "startedAt" text, "finishedAt" text, "durationMs" integer, "error" text);
  CREATE INDEX "IDX_d6253d28bcb783f3be9f4a8438" ON "backup_runs" ("target", "createdAt");
`;

describe('BackupRunStore', () => {
  let dir: string;
  let store: BackupRunStore | undefined;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-store-'))));
  afterEach(async () => {
    await store?.onModuleDestroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens a first-wave history file: its jobs read with no error code, and new jobs keep theirs', async () => {
    const file = path.join(dir, RUN_HISTORY_FILE);
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec(FIRST_WAVE_SCHEMA);
    old
      .prepare(
        `INSERT INTO backup_runs (id, target, trigger, status, phase, bytesDone, bytesTotal, filename, sizeBytes, createdAt, startedAt, finishedAt, durationMs, error)
                VALUES (?, 'r2', 'scheduled', 'failed', 'archiving', 10, 20, NULL, NULL, '2026-01-01T02:00:00.000Z', '2026-01-01T02:00:00.100Z', '2026-01-01T02:00:05.000Z', 4900, 'Access denied')`,
      )
      .run('old-job');
    old.close();

    store = new BackupRunStore({ env: { dataDir: dir } } as AppConfig);
    await store.onModuleInit();
    expect(await store.find('old-job')).toMatchObject({ id: 'old-job', status: 'failed', error: 'Access denied', errorCode: null, durationMs: 4900 });

    const failed = Object.assign(new BackupRunEntity(), {
      ...(await store.find('old-job')),
      id: 'new-job',
      createdAt: '2026-02-01T02:00:00.000Z',
      error: 'Not enough free disk space',
      errorCode: 'INSUFFICIENT_DISK_SPACE',
    });
    await store.save(failed);
    expect((await store.history({ limit: 10 })).map((run) => [run.id, run.errorCode])).toEqual([
      ['new-job', 'INSUFFICIENT_DISK_SPACE'],
      ['old-job', null],
    ]);
    await store.onModuleDestroy();
    store = undefined;

    // And the file still opens with the first wave's columns intact (a downgrade reads it too).
    const reopened = new Database(file, { readonly: true });
    const columns = (reopened.pragma('table_info(backup_runs)') as { name: string }[]).map((c) => c.name);
    reopened.close();
    expect(columns).toEqual(expect.arrayContaining(['id', 'target', 'status', 'error', 'errorCode']));
  });
});
