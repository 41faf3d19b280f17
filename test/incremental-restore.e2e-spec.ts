/**
 * Restoring and verifying increments through the API (issue 19, docs/incremental-backups.md "Restoring a point"):
 * a chain of a full backup and three increments made with the engine's own classes from real SQLite files while
 * another process writes to them (test/support/increment-chains.ts), in the local target's folder. Each point
 * restores to exactly the rows its snapshot held, through the same staging and apply as a full restore; a damaged
 * or missing link is named, and the points before it still restore.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ALL_DATABASES } from './fixtures/restore-archives.js';
import { restoreWorkFiles, safetyCopies } from './fixtures/restore-app.js';
import { type ChainPoint, chainUnderWriter, rowsIn, type TestChain } from './support/increment-chains.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const NAMES = ALL_DATABASES;

describe('Restoring and verifying increments (issue 19)', () => {
  let root: string;
  let t: TestApp;
  let chain: TestChain;
  let points: ChainPoint[];
  const boot = async () => (t = await startTestApp({}, { root, keep: true }));
  const backups = () => path.join(root, 'data', 'backups');

  beforeAll(async () => {
    root = makeScratchDir('sentinel-incr-restore-');
    await boot();
    fs.mkdirSync(backups(), { recursive: true });
    chain = await chainUnderWriter({
      source: path.join(root, 'source'),
      folder: backups(),
      scratch: path.join(root, 'chain-work'),
      increments: 3,
      names: NAMES,
    });
    points = chain.points;
  }, 120_000);

  afterAll(async () => {
    await t?.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('each increment holds only pages, and each point differs from the one before (the writer ran between them)', () => {
    expect(points.map((p) => p.kind)).toEqual(['full', 'incremental', 'incremental', 'incremental']);
    for (let i = 1; i < points.length; i++) {
      const entries = execFileSync('tar', ['tzf', path.join(backups(), points[i].name)], { encoding: 'utf8' })
        .trim()
        .split('\n');
      expect(entries[0]).toBe('backup-metadata.json');
      expect(entries.slice(1).every((entry) => entry.endsWith('.db.pages'))).toBe(true);
      expect(points[i].rows.ledger.writes).not.toEqual(points[i - 1].rows.ledger.writes);
    }
  });

  it('verifies every point: each database rebuilt from the chain, its checksum as recorded, the integrity check passing', async () => {
    for (const point of points) {
      const report = await t.http.post(`/api/backups/local/${point.name}/verify`).expect(200);
      expect({ point: point.name, ok: report.body.ok, problem: report.body.problem }).toEqual({ point: point.name, ok: true, problem: null });
      expect(
        report.body.databases.map((db: { name: string; checksum_ok: boolean; integrity_ok: boolean }) => [db.name, db.checksum_ok, db.integrity_ok]),
      ).toEqual(NAMES.map((name) => [name, true, true]));
    }
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
  });

  it('restores each point, through the same staging and apply as a full backup, to exactly the rows a full backup at that moment has', async () => {
    for (const point of [...points].reverse()) {
      const staged = await t.http.post('/api/backups/local/restore').send({ filename: point.name, restart: false }).expect(202);
      expect(staged.body).toMatchObject({ archive: point.name, target: 'local', state: 'staged' });
      expect(fs.readdirSync(t.dataDir).filter((f) => f.startsWith('.restore-verify-'))).toEqual([]);
      await t.close();
      await boot();
      const status = await t.http.get('/api/restore/status').expect(200);
      expect(status.body.last_apply).toMatchObject({ outcome: 'applied', archive: point.name, target: 'local' });
      expect({ point: point.name, rows: rowsIn(t.dataDir, point.rows) }).toEqual({ point: point.name, rows: point.rows });
      expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    }
    expect(safetyCopies(t.dataDir).length).toBeGreaterThanOrEqual(points.length);
  });

  it('names a missing parent, and changes nothing', async () => {
    const [, first, second] = points;
    const away = path.join(root, first.name);
    fs.renameSync(path.join(backups(), first.name), away);
    try {
      const refused = await t.http.post('/api/backups/local/restore').send({ filename: second.name, restart: false }).expect(422);
      expect(refused.body).toMatchObject({ error: 'ARCHIVE_INVALID', details: { check: 'chain', file: first.name } });
      expect(refused.body.message).toMatch(new RegExp(`its chain needs ${escape(first.name)}, which is not in this target`));
      const verified = await t.http.post(`/api/backups/local/${second.name}/verify`).expect(200);
      expect(verified.body).toMatchObject({ ok: false, problem: { check: 'chain', file: first.name } });
      await t.http.get('/api/backups/local/restore/staged').expect(404);
      expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    } finally {
      fs.renameSync(away, path.join(backups(), first.name));
    }
  });

  it('refuses a damaged increment in verify and restore, naming it, and the points before it still restore', async () => {
    const [, first, second, third] = points;
    const pagesFile = await chain.damagePages(second);

    const verified = await t.http.post(`/api/backups/local/${second.name}/verify`).expect(200);
    expect(verified.body).toMatchObject({ ok: false, problem: { check: 'checksum', file: pagesFile } });
    expect(verified.body.message).toContain(second.name);
    const later = await t.http.post(`/api/backups/local/${third.name}/verify`).expect(200);
    expect(later.body).toMatchObject({ ok: false, problem: { check: 'checksum', file: pagesFile } });
    expect(later.body.message).toMatch(
      new RegExp(`${escape(second.name)}, a link of its chain, is damaged.*points made before ${escape(second.name)} do not need it`),
    );

    for (const point of [second, third]) {
      const refused = await t.http.post('/api/backups/local/restore').send({ filename: point.name, restart: false }).expect(422);
      expect(refused.body).toMatchObject({ error: 'ARCHIVE_INVALID', details: { check: 'checksum', file: pagesFile } });
      expect(refused.body.message).toContain(second.name);
      await t.http.get('/api/backups/local/restore/staged').expect(404);
      expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    }

    expect((await t.http.post(`/api/backups/local/${first.name}/verify`).expect(200)).body).toMatchObject({ ok: true });
    await t.http.post('/api/backups/local/restore').send({ filename: first.name, restart: false }).expect(202);
    await t.http.delete('/api/backups/local/restore/staged').expect(200);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
