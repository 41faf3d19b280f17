/**
 * Crash safety of phase 2: the real service (`node dist/main.js`) is killed with SIGKILL at each step
 * of applying a staged restore (SENTINEL_RESTORE_FAULT, a test-only fault point), and the next start
 * must leave either the complete old set or the complete new set, every database passing its
 * integrity check, and say which it did.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ALL_DATABASES, prepareBackupFolder, tarCzf, writeDatabase } from './fixtures/restore-archives.js';
import { inspectFiles, restoreWorkFiles, safetyCopies } from './fixtures/restore-app.js';
import { assertServiceBuilt, getJson, post, startService, withService } from './fixtures/restore-service.js';
import { makeScratchDir } from './support/test-app.js';

const NAMES = ALL_DATABASES;
const ARCHIVE = 'sentinel-backup-2026-01-08-143022.tar.gz';

/**
 * Leaves the last commit of every live database in its -wal file only, as a kill -9 of the service
 * would: a process that writes in WAL mode and is killed before it closes its connections.
 */
function leaveCommitsInWal(data: string, marker: string): void {
  const script = `
    const Database = require('better-sqlite3');
    const [dir, marker, ...names] = process.argv.slice(1);
    for (const name of names) {
      const db = new Database(dir + '/' + name + '.db');
      db.pragma('journal_mode = WAL');
      db.pragma('wal_autocheckpoint = 0');
      db.prepare('UPDATE marker SET value = ?').run(marker + ':' + name);
    }
    process.kill(process.pid, 'SIGKILL');`;
  spawnSync(process.execPath, ['-e', script, data, marker, ...NAMES], { cwd: process.cwd() });
  for (const name of NAMES) expect(fs.statSync(path.join(data, `${name}.db-wal`)).size).toBeGreaterThan(0);
}

function expectCompleteSet(data: string, marker: 'new' | 'old'): void {
  const want = marker === 'new' ? 'new' : 'old-wal';
  expect(inspectFiles(data, NAMES)).toEqual(Object.fromEntries(NAMES.map((n) => [n, { marker: `${want}:${n}`, integrity: 'ok' }])));
  expect(restoreWorkFiles(data)).toEqual([]);
  const copies = safetyCopies(data);
  expect(copies.length).toBeGreaterThan(0);
  // Every safety copy holds the complete old set, including the commits that were only in the -wal files.
  for (const copy of copies) {
    expect(inspectFiles(path.join(data, copy), NAMES)).toEqual(Object.fromEntries(NAMES.map((n) => [n, { marker: `old-wal:${n}`, integrity: 'ok' }])));
  }
}

async function crashAt(root: string, step: string): Promise<void> {
  const service = await startService(root, { SENTINEL_RESTORE_FAULT: step });
  const exit = await service.exited;
  expect({ step, signal: exit.signal }).toEqual({ step, signal: 'SIGKILL' });
  expect(service.output()).toContain(`[restore-fault] killing the process at ${step}`);
}

/** The next start, without a fault: returns the restore status it reports and its log. */
async function nextStart(root: string): Promise<{ status: any; log: string }> {
  let log = '';
  const status = await withService(root, async (service) => {
    const res = await getJson(`${service.url}/api/restore/status`);
    log = service.output();
    return res?.body;
  });
  return { status, log };
}

function journalState(data: string): string | undefined {
  const file = path.join(data, '.pending-restore');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).state : undefined;
}

describe('Restore phase 2 survives kill -9 at every step', () => {
  let template: string;
  const roots: string[] = [];

  beforeAll(async () => {
    assertServiceBuilt();
    // The old set is live; the new set waits in the local backup folder.
    template = makeScratchDir('sentinel-crash-template-');
    const data = path.join(template, 'data');
    fs.mkdirSync(path.join(data, 'backups'), { recursive: true });
    for (const name of NAMES) writeDatabase(path.join(data, `${name}.db`), `old:${name}`);
    const folder = prepareBackupFolder(path.join(template, 'new-set'), 'new');
    tarCzf(folder, path.join(data, 'backups', ARCHIVE), ['backup-metadata.json', ...NAMES.map((n) => `${n}.db`)]);
    fs.rmSync(folder, { recursive: true });
    // Stage it through the real service, without restarting.
    await withService(template, async (service) => {
      const res = await post(`${service.url}/api/backups/local/restore`, { filename: ARCHIVE, restart: false });
      expect(res).toMatchObject({ status: 202, body: { state: 'staged' } });
    });
    leaveCommitsInWal(data, 'old-wal');
    expect(journalState(data)).toBe('staged');
  }, 60_000);

  afterAll(() => {
    for (const root of [template, ...roots]) if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  function copyOfTemplate(): { root: string; data: string } {
    const root = makeScratchDir('sentinel-crash-');
    roots.push(root);
    fs.cpSync(template, root, { recursive: true });
    return { root, data: path.join(root, 'data') };
  }

  it.each([
    ['apply:start', 'applied'],
    ['apply:safety-copy-partial', 'applied'],
    ['apply:safety-copy-done', 'applied'],
    ['apply:journal-applying', 'resumed'],
    ['apply:swapped-1', 'resumed'],
    ['apply:swapped-4', 'resumed'],
    ['apply:swapped-7', 'resumed'],
    ['apply:swaps-done', 'resumed'],
    ['apply:recorded', 'resumed'],
    ['apply:flag-removed', 'applied'],
  ])(
    'killed at %s: the next start ends with the complete new set (%s)',
    async (step, outcome) => {
      const { root, data } = copyOfTemplate();
      await crashAt(root, step);
      if (/swapped|swaps-done|journal-applying|recorded/.test(step)) expect(journalState(data)).toBe('applying');
      const { status, log } = await nextStart(root);
      expect(status.staged).toBeNull();
      expect(status.last_apply).toMatchObject({ outcome, archive: ARCHIVE, target: 'local' });
      if (outcome === 'resumed') {
        expect(log).toMatch(/was interrupted while being applied/);
        expect(log).toMatch(/rolling forward/);
      }
      expectCompleteSet(data, 'new');
    },
    60_000,
  );

  it('a staged file lost after a kill mid-swap: the next start rolls back to the complete old set and says so', async () => {
    const { root, data } = copyOfTemplate();
    await crashAt(root, 'apply:swapped-3');
    const staging = fs.readdirSync(data).find((e) => e.startsWith('.restore-staging-')) as string;
    fs.rmSync(path.join(data, staging, `${NAMES[4]}.db`));
    const { status, log } = await nextStart(root);
    expect(status.last_apply).toMatchObject({ outcome: 'rolled_back' });
    expect(status.last_apply.message).toMatch(new RegExp(`staged copy of ${NAMES[4]}\\.db is missing or damaged`));
    expect(log).toMatch(/rolling back/);
    expectCompleteSet(data, 'old');
  }, 60_000);

  it('a kill during the roll-back: the next start carries on rolling back', async () => {
    const { root, data } = copyOfTemplate();
    await crashAt(root, 'apply:swapped-3');
    const staging = fs.readdirSync(data).find((e) => e.startsWith('.restore-staging-')) as string;
    fs.rmSync(path.join(data, staging, `${NAMES[4]}.db`));
    await crashAt(root, 'rollback:restored-2');
    expect(journalState(data)).toBe('rolling_back');
    const { status, log } = await nextStart(root);
    expect(status.last_apply).toMatchObject({ outcome: 'rolled_back' });
    expect(log).toMatch(/carrying on with the roll-back/);
    expectCompleteSet(data, 'old');
  }, 60_000);

  it('a kill while finishing an interrupted apply: the start after that finishes it', async () => {
    const { root, data } = copyOfTemplate();
    await crashAt(root, 'apply:swapped-2');
    await crashAt(root, 'apply:swapped-2');
    const { status } = await nextStart(root);
    expect(status.last_apply).toMatchObject({ outcome: 'resumed' });
    expectCompleteSet(data, 'new');
  }, 60_000);
});
