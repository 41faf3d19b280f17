/**
 * The restore core on its own, as the disaster-recovery command line will use it: built without the
 * HTTP app, the scheduler, the settings or the database registry, over a data folder of a stopped
 * service holding real SQLite files. It stages an archive from a file and applies it.
 */
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnvironment } from '../src/config/environment.js';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { RestoreApplier } from '../src/restore/apply/restore-applier.js';
import { RestoreCoreModule } from '../src/restore/core/restore-core.module.js';
import { RestoreStager } from '../src/restore/core/restore-stager.js';
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
    core = await NestFactory.createApplicationContext(RestoreCoreModule.standalone(parseEnvironment({ DATA_DIR: dataDir })), { logger: false, abortOnError: false });
  });
  afterAll(async () => {
    await core?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('stages an archive file and applies it: every database replaced, the old set in the safety copy, nothing of the service created or opened', async () => {
    const before = Object.fromEntries(ALL_DATABASES.map((n) => [n, sha256(path.join(dataDir, `${n}.db`))]));
    // No database connection, no settings, no registry in this module.
    expect(() => core.get(DatabaseRegistry, { strict: false })).toThrow();

    const journal = await core.get(RestoreStager).stage(
      { name: NAME, open: async () => ({ body: fs.createReadStream(archiveFile), size: fs.statSync(archiveFile).size }) },
      { target: 'local', restartRequested: false, signal: new AbortController().signal },
    );
    expect(journal).toMatchObject({ state: 'staged', archive: NAME, databases: ALL_DATABASES.map((name) => expect.objectContaining({ name })) });
    // Staging touched nothing live.
    for (const name of ALL_DATABASES) expect(readMarker(path.join(dataDir, `${name}.db`))).toBe(`old:${name}`);

    const outcome = await core.get(RestoreApplier).applyPending();
    expect(outcome).toMatchObject({ outcome: 'applied', archive: NAME, target: 'local', safety_copy: expect.stringMatching(/^pre-restore-backup-/) });
    for (const name of ALL_DATABASES) expect(readMarker(path.join(dataDir, `${name}.db`))).toBe(`new:${name}`);
    const safety = path.join(dataDir, outcome?.safety_copy as string);
    for (const name of ALL_DATABASES) expect(readMarker(path.join(safety, `${name}.db`))).toBe(`old:${name}`);
    expect(ALL_DATABASES.map((n) => sha256(path.join(dataDir, `${n}.db`)))).not.toContain(before.universe);

    // Only the databases, the safety copy, the outcome record and the installation id: no .backup-runs.db,
    // .audit.db or settings of the service, no staging folder or flag left, and no -wal/-shm (no connection
    // ever opened a live database in WAL mode, as the service's registry would).
    expect(fs.readdirSync(dataDir).sort()).toEqual(
      [...ALL_DATABASES.map((n) => `${n}.db`), '.installation-id', '.restore-last-apply.json', outcome?.safety_copy as string].sort(),
    );
    // The header's read/write versions: 1 (rollback journal) as written, not 2 (WAL).
    const header = fs.readFileSync(path.join(dataDir, 'config.db')).subarray(18, 20);
    expect([...header]).toEqual([1, 1]);
  });
});
