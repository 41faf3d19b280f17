/**
 * Incremental backups' surface (issue 19): increments are backups of their own name
 * (`sentinel-incremental-…`) that every listing sees, sharing one time line with full backups. Real folder
 * target, the real API. The increments here are objects put into the folder under an increment's name, with the
 * owner marker the service writes; their content does not matter to what is asserted (names, listing, rotation,
 * deletion), which never reads an archive.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { backupFilename, incrementalBackupFilename } from '../src/archive-format/backup-filename.js';
import { Clock } from '../src/common/clock.js';
import { InstallationIdentity } from '../src/common/installation/installation-identity.js';
import { ArchiveProvenance } from '../src/encryption/archive-provenance.store.js';
import { ownerSidecarName } from '../src/storage/object-key.js';
import { objectVersion } from '../src/storage/object-storage.js';
import { StorageTargets } from '../src/storage/storage-targets.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const NOW = new Date('2026-11-20T15:00:00Z');
const MINUTE = 60 * 1000;

describe('Incremental backups: names, listings and the shared time line', () => {
  let t: TestApp;
  let folder: string;
  let me: string;

  /** Puts an object into the local folder as this installation's backup `name`. */
  function place(name: string, content = `archive ${name}\n`): void {
    fs.writeFileSync(path.join(folder, ownerSidecarName(name)), `${me}\n`);
    fs.writeFileSync(path.join(folder, name), content);
  }

  /**
   * Puts a backup into the folder and records it as written here, with its chain, as the producer records what it
   * stores (the hash and version of the bytes in the folder).
   */
  async function made(name: string, chain: { base: string; parent: string } | null): Promise<void> {
    place(name);
    const stored = (await (await t.app.get(StorageTargets).get('local')).head(name))!;
    await t.app.get(ArchiveProvenance).record({
      target: 'local',
      filename: name,
      sha256: createHash('sha256')
        .update(fs.readFileSync(path.join(folder, name)))
        .digest('hex'),
      sizeBytes: stored.size,
      recipients: null,
      createdAt: new Date(NOW),
      version: objectVersion(stored),
      ...(chain ? { kind: 'incremental' as const, ...chain } : { kind: 'full' as const }),
    });
  }

  beforeEach(async () => {
    t = await startTestApp({ TZ: 'UTC', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    folder = path.join(t.dataDir, 'backups');
    fs.mkdirSync(folder, { recursive: true });
    me = t.app.get(InstallationIdentity).id;
    t.app.get(Clock).now = () => new Date(NOW);
  });
  afterEach(async () => {
    await t.close();
  });

  it('lists increments beside full backups, newest first, and a full backup never takes a second an increment carries', async () => {
    const full = backupFilename(new Date(NOW.getTime() - 30 * MINUTE));
    const first = incrementalBackupFilename(new Date(NOW.getTime() - 15 * MINUTE));
    const taken = incrementalBackupFilename(NOW);
    for (const name of [full, first, taken]) place(name);

    const listed = (await t.http.get('/api/backups/local').expect(200)).body;
    expect(listed.map((b: any) => b.filename)).toEqual([taken, first, full]);
    expect(listed[0]).toMatchObject({ own: true, encrypted: false, size_bytes: `archive ${taken}\n`.length, age_seconds: 0, kind: 'incremental' });
    expect(listed[2]).toMatchObject({ kind: 'full', base: null, parent: null });
    const download = await t.http.get(`/api/backups/local/${first}/download`).expect(200);
    expect(download.body.toString()).toBe(`archive ${first}\n`);

    await seedDatabases(t.app, { rows: 5 });
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job).toMatchObject({ status: 'succeeded', filename: backupFilename(new Date(NOW.getTime() + 1000)) });
    expect(fs.readFileSync(path.join(folder, taken), 'utf8')).toBe(`archive ${taken}\n`);
  }, 120_000);

  it('lists each point with its kind and, for an increment, the chain it was recorded with (null when there is no record)', async () => {
    const full = backupFilename(new Date(NOW.getTime() - 60 * MINUTE));
    const [first, second] = [45, 30].map((m) => incrementalBackupFilename(new Date(NOW.getTime() - m * MINUTE)));
    const stray = incrementalBackupFilename(new Date(NOW.getTime() - 15 * MINUTE));
    await made(full, null);
    await made(first, { base: full, parent: full });
    await made(second, { base: full, parent: first });
    place(stray); // an increment this installation has no record of: its chain is unknown

    const listed = (await t.http.get('/api/backups/local').expect(200)).body;
    expect(listed.map((b: any) => [b.filename, b.kind, b.base, b.parent, b.made_here])).toEqual([
      [stray, 'incremental', null, null, false],
      [second, 'incremental', full, first, true],
      [first, 'incremental', full, full, true],
      [full, 'full', null, null, true],
    ]);
  });
});
