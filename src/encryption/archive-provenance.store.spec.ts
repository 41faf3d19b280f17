import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { ArchiveProvenance, readWrittenArchive } from './archive-provenance.store.js';
import { ENCRYPTION_DB_FILE, EncryptionDatabase } from './store/encryption-database.js';

const FULL = 'sentinel-backup-2026-12-03-030000.tar.gz';
const INCREMENT = 'sentinel-incremental-2026-12-03-091500.tar.gz';
const CREATED = '2026-12-03T03:00:05.000Z';

/**
 * The provenance records on a real `.encryption.db`, written the way the version before chains wrote it: the
 * chain's columns are added when the service opens the file, and no record is lost or changed by that.
 */
describe('ArchiveProvenance: chain records', () => {
  let dir: string;
  let db: EncryptionDatabase | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provenance-'));
  });
  afterEach(async () => {
    await db?.onModuleDestroy();
    db = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<ArchiveProvenance> {
    db = new EncryptionDatabase({ env: { dataDir: dir } } as AppConfig);
    await db.onModuleInit();
    return new ArchiveProvenance(db);
  }

  /** The file as the previous version left it: written_archives without kind, base and parent, holding one record. */
  function writeEarlierFile(): void {
    const file = new Database(path.join(dir, ENCRYPTION_DB_FILE));
    file.exec(
      'CREATE TABLE "written_archives" ("target" text NOT NULL, "filename" text NOT NULL, "sha256" text NOT NULL, "sizeBytes" integer NOT NULL, ' +
        '"recipients" text, "createdAt" text NOT NULL, "version" text, PRIMARY KEY ("target", "filename"))',
    );
    file.prepare('INSERT INTO written_archives VALUES (?, ?, ?, ?, ?, ?, ?)').run('local', FULL, 'a'.repeat(64), 1234, null, CREATED, '1234:1764730805000');
    file.close();
  }

  it('reads a record of a file from before chains (the CLI, read-only, before the service opened it), then keeps it whole when the service adds the columns', async () => {
    writeEarlierFile();
    const before = {
      target: 'local',
      filename: FULL,
      sha256: 'a'.repeat(64),
      sizeBytes: 1234,
      recipients: null,
      createdAt: new Date(CREATED),
      version: '1234:1764730805000',
    };
    expect(await readWrittenArchive(dir, 'local', FULL)).toEqual(before);

    const provenance = await open();
    expect(await provenance.find('local', FULL)).toEqual(before);
    const columns = (await db!.read((m) => m.query('PRAGMA table_info(written_archives)'))) as Array<{ name: string }>;
    expect(columns.map((c) => c.name)).toEqual(expect.arrayContaining(['version', 'kind', 'base', 'parent']));
  });

  it('records an increment with its chain and reads it back; a full backup has none', async () => {
    const provenance = await open();
    const common = { target: 'local', sha256: 'b'.repeat(64), sizeBytes: 99, recipients: null, createdAt: new Date(CREATED) };
    await provenance.record({ ...common, filename: FULL, kind: 'full' });
    await provenance.record({ ...common, filename: INCREMENT, kind: 'incremental', base: FULL, parent: FULL });
    const all = await provenance.findAll('local');
    expect(all.get(INCREMENT)).toEqual({ ...common, filename: INCREMENT, kind: 'incremental', base: FULL, parent: FULL });
    expect(all.get(FULL)).toEqual({ ...common, filename: FULL, kind: 'full' });
    expect(await readWrittenArchive(dir, 'local', INCREMENT)).toEqual({ ...common, filename: INCREMENT, kind: 'incremental', base: FULL, parent: FULL });
  });
});
