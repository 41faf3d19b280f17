/**
 * The restore core on its own, as the disaster-recovery command line will use it: built without the
 * HTTP app, the scheduler, the settings or the database registry, over a data folder of a stopped
 * service holding real SQLite files. It stages an archive from a file and applies it.
 */
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnvironment } from '../src/config/environment.js';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { RestoreApplier } from '../src/restore/apply/restore-applier.js';
import { RestoreCoreModule } from '../src/restore/core/restore-core.module.js';
import { RestoreStager } from '../src/restore/core/restore-stager.js';
import { DataDirLockHolder } from '../src/restore/core/data-dir-lock-holder.js';
import { DatabasesClosed } from '../src/restore/apply/databases-closed.js';
import { AppConfig } from '../src/config/app-config.js';
import { DiskSpace } from '../src/common/fs/disk-space.service.js';
import { DataDirLock, LOCK_FILENAME } from '../src/common/lifecycle/data-dir-lock.js';
import { InstallationIdentity } from '../src/common/installation/installation-identity.js';
import { createWorkFolder } from '../src/common/fs/work-folder.js';
import { ALL_DATABASES, prepareBackupFolder, readMarker, sha256, tarCzf, writeDatabase } from './fixtures/restore-archives.js';

const NAME = 'sentinel-backup-2026-01-08-143022.tar.gz';

describe('RestoreCoreModule without the service', () => {
  let root: string;
  let dataDir: string;
  let archiveFile: string;
  let core: INestApplicationContext;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'restore-core-'));
    dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    for (const name of ALL_DATABASES) writeDatabase(path.join(dataDir, `${name}.db`), `old:${name}`);
    const made = prepareBackupFolder(path.join(root, 'backup'), 'new');
    archiveFile = tarCzf(made, path.join(root, NAME), ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)]);
    core = await NestFactory.createApplicationContext(RestoreCoreModule.standalone(parseEnvironment({ DATA_DIR: dataDir })), {
      logger: false,
      abortOnError: false,
    });
  });
  afterAll(async () => {
    await core?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('stages an archive file and applies it: every database replaced, the old set in the safety copy, nothing of the service created or opened', async () => {
    const before = Object.fromEntries(ALL_DATABASES.map((n) => [n, sha256(path.join(dataDir, `${n}.db`))]));
    // No database connection, no settings, no registry in this module.
    expect(() => core.get(DatabaseRegistry, { strict: false })).toThrow();

    const journal = await core
      .get(RestoreStager)
      .stage(
        { name: NAME, open: async () => ({ body: fs.createReadStream(archiveFile), size: fs.statSync(archiveFile).size }) },
        { target: 'local', restartRequested: false, signal: new AbortController().signal },
      );
    expect(journal).toMatchObject({ state: 'staged', archive: NAME, databases: ALL_DATABASES.map((name) => expect.objectContaining({ name })) });
    // Staging touched nothing live.
    for (const name of ALL_DATABASES) expect(readMarker(path.join(dataDir, `${name}.db`))).toBe(`old:${name}`);

    const outcome = await core.get(RestoreApplier).applyPending(core.get(DataDirLockHolder).databasesClosed());
    expect(outcome).toMatchObject({ outcome: 'applied', archive: NAME, target: 'local', safety_copy: expect.stringMatching(/^pre-restore-backup-/) });
    for (const name of ALL_DATABASES) expect(readMarker(path.join(dataDir, `${name}.db`))).toBe(`new:${name}`);
    const safety = path.join(dataDir, outcome?.safety_copy as string);
    for (const name of ALL_DATABASES) expect(readMarker(path.join(safety, `${name}.db`))).toBe(`old:${name}`);
    expect(ALL_DATABASES.map((n) => sha256(path.join(dataDir, `${n}.db`)))).not.toContain(before.universe);

    // Only the databases, the safety copy, the outcome record and the installation id: no .backup-runs.db,
    // .audit.db or settings of the service, no staging folder or flag left, and no -wal/-shm (no connection
    // ever opened a live database in WAL mode, as the service's registry would).
    expect(fs.readdirSync(dataDir).sort()).toEqual(
      [...ALL_DATABASES.map((n) => `${n}.db`), '.installation-id', '.restore-last-apply.json', LOCK_FILENAME, outcome?.safety_copy as string].sort(),
    );
    // The header's read/write versions: 1 (rollback journal) as written, not 2 (WAL).
    const header = fs.readFileSync(path.join(dataDir, 'config.db')).subarray(18, 20);
    expect([...header]).toEqual([1, 1]);
  });

  it("holds DATA_DIR's lock while it is open, and releases it when closed: a second core on the same DATA_DIR is refused", async () => {
    expect(fs.existsSync(path.join(dataDir, LOCK_FILENAME))).toBe(true);
    await expect(
      NestFactory.createApplicationContext(RestoreCoreModule.standalone(parseEnvironment({ DATA_DIR: dataDir })), { logger: false, abortOnError: false }),
    ).rejects.toThrow(/is in use by this process/);
    const other = path.join(root, 'other');
    const second = await NestFactory.createApplicationContext(RestoreCoreModule.standalone(parseEnvironment({ DATA_DIR: other })), {
      logger: false,
      abortOnError: false,
    });
    const proof = second.get(DataDirLockHolder).databasesClosed();
    // A proof is for its own DATA_DIR, and only while the lock is held.
    await expect(core.get(RestoreApplier).applyPending(proof)).rejects.toThrow(/only that the databases of .*other are closed/);
    await second.close();
    expect(fs.existsSync(path.join(other, LOCK_FILENAME))).toBe(false);
    expect(() => proof.check(other)).toThrow(/was released/);
  });
});

describe('RestoreCoreModule on the DATA_DIR of a running service', () => {
  it('refuses to start, naming the service and what to do, and changes nothing: no file renamed, no work folder of the service swept', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'restore-core-live-'));
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    for (const name of ALL_DATABASES) writeDatabase(path.join(dataDir, `${name}.db`), `old:${name}`);
    const env = parseEnvironment({ DATA_DIR: dataDir });
    // The running service: holds the lock, has a backup in progress in its scratch folder, and a restore staged.
    const lock = DataDirLock.acquire(dataDir);
    try {
      const scratch = await createWorkFolder(new InstallationIdentity({ env } as AppConfig), dataDir, '.backup-tmp-', 'backup-scratch', { jobId: 'live-job' });
      fs.writeFileSync(path.join(scratch, 'universe.db'), 'snapshot being written');
      const before = Object.fromEntries(fs.readdirSync(dataDir).map((n) => [n, fs.statSync(path.join(dataDir, n)).mtimeMs]));
      const lockText = fs.readFileSync(path.join(dataDir, LOCK_FILENAME), 'utf8');

      await expect(NestFactory.createApplicationContext(RestoreCoreModule.standalone(env), { logger: false, abortOnError: false })).rejects.toThrow(
        new RegExp(`DATA_DIR ${dataDir} is in use by .*pid ${process.pid}.*stop that service first`),
      );
      // A proof cannot be made up from a lock that is not held either.
      const released = DataDirLock.acquire(path.join(root, 'elsewhere'));
      released.release();
      expect(() => DatabasesClosed.byLock(released)).toThrow(/was released/);

      expect(Object.fromEntries(fs.readdirSync(dataDir).map((n) => [n, fs.statSync(path.join(dataDir, n)).mtimeMs]))).toEqual(before);
      expect(fs.readFileSync(path.join(scratch, 'universe.db'), 'utf8')).toBe('snapshot being written');
      expect(fs.readFileSync(path.join(dataDir, LOCK_FILENAME), 'utf8')).toBe(lockText);
      for (const name of ALL_DATABASES) expect(readMarker(path.join(dataDir, `${name}.db`))).toBe(`old:${name}`);
    } finally {
      lock.release();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('RestoreCoreModule: the room staging reserves is the room the apply asks for', () => {
  /** Bytes of the files under `dir` (apparent sizes: no block rounding, the case most favourable to the apply). */
  function usedBytes(dir: string): number {
    let sum = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      sum += entry.isDirectory() ? usedBytes(file) : fs.statSync(file).size;
    }
    return sum;
  }

  it('a restore staged on a disk with just the room staging asked for is applied after the databases grew by 1 MiB', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'restore-core-room-'));
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    for (const name of ALL_DATABASES) writeDatabase(path.join(dataDir, `${name}.db`), `old:${name}`, 2000);
    const made = prepareBackupFolder(path.join(root, 'backup'), 'new');
    const archiveFile = tarCzf(made, path.join(root, NAME), ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)]);
    // A disk of `capacity` free bytes when the test began: what DATA_DIR gains is taken from it.
    let capacity = 0;
    const base = usedBytes(dataDir);
    const disk = new (class extends DiskSpace {
      override async available(): Promise<number> {
        return capacity - (usedBytes(dataDir) - base);
      }
    })();
    const moduleRef = await Test.createTestingModule({ imports: [RestoreCoreModule.standalone(parseEnvironment({ DATA_DIR: dataDir }))] })
      .overrideProvider(DiskSpace)
      .useValue(disk)
      .compile();
    const core = await moduleRef.init();
    try {
      const open = async () => ({ body: fs.createReadStream(archiveFile), size: fs.statSync(archiveFile).size });
      const stage = () =>
        core.get(RestoreStager).stage({ name: NAME, open }, { target: 'local', restartRequested: false, signal: new AbortController().signal });
      // Give the disk exactly what each refusal said it needed, until staging goes through.
      let staged = false;
      for (let attempt = 0; attempt < 5 && !staged; attempt++) {
        const refusal = await stage().then(
          () => undefined,
          (error: unknown) => error as { code?: string; details?: { needed_bytes: number } },
        );
        if (!refusal) staged = true;
        else {
          expect(refusal.code).toBe('INSUFFICIENT_DISK_SPACE');
          capacity = (refusal.details?.needed_bytes ?? 0) + 4096;
        }
      }
      expect(staged).toBe(true);

      // The service runs on until the next start: one database grows by about 1 MiB.
      writeDatabase(path.join(dataDir, 'ledger.db'), 'old:ledger', 17_000);
      const outcome = await core.get(RestoreApplier).applyPending(core.get(DataDirLockHolder).databasesClosed());
      expect(outcome).toMatchObject({ outcome: 'applied' });
      for (const name of ALL_DATABASES) expect(readMarker(path.join(dataDir, `${name}.db`))).toBe(`new:${name}`);
    } finally {
      await core.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
