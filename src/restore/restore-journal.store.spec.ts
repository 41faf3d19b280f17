import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataFolderLayout } from './core/data-folder-layout.js';
import { type RestoreJournal, RestoreJournalStore, UnreadableJournalError } from './restore-journal.store.js';

describe('RestoreJournalStore', () => {
  let dir: string;
  let store: RestoreJournalStore;
  const journal = (): RestoreJournal => ({
    format: 1,
    state: 'staged',
    archive: 'sentinel-backup-2026-01-08-143022.tar.gz',
    target: 'local',
    staging_dir: '/somewhere/else/.restore-staging-2026-01-09-081500-abc',
    staged_at: '2026-01-09T08:15:00.000Z',
    backup_timestamp: '2026-01-08T14:30:22Z',
    backup_sentinel_version: '0.1.0',
    restart_requested: false,
    databases: [{ name: 'config', filename: 'config.db', size_bytes: 4096, checksum: `sha256:${'a'.repeat(64)}` }],
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-'));
    store = new RestoreJournalStore(new DataFolderLayout(dir, ['config']));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads nothing when there is no flag, and what it wrote (atomically, no temp file left)', async () => {
    expect(await store.read()).toBeUndefined();
    await store.write(journal());
    expect(await store.read()).toEqual(journal());
    expect(fs.readdirSync(dir)).toEqual(['.pending-restore']);
    expect(await store.remove()).toBe(true);
    expect(await store.remove()).toBe(false);
  });

  it('resolves the staging folder inside DATA_DIR by its name only, wherever the flag says it was', async () => {
    expect(store.stagingDir(journal())).toBe(path.join(dir, '.restore-staging-2026-01-09-081500-abc'));
  });

  it.each([
    ['not JSON', '{"format": 1,'],
    ['a staging folder that is not one', JSON.stringify({ ...journal(), staging_dir: '/etc' })],
    [
      'a traversal in a database name',
      JSON.stringify({ ...journal(), databases: [{ name: '../x', filename: '../x.db', size_bytes: 1, checksum: `sha256:${'a'.repeat(64)}` }] }),
    ],
    ['applying without a safety copy', JSON.stringify({ ...journal(), state: 'applying' })],
    [
      'a safety copy outside its own folders',
      JSON.stringify({ ...journal(), state: 'applying', apply: { started_at: 'x', safety_copy: '/home', previous: [] } }),
    ],
    ['an unknown state', JSON.stringify({ ...journal(), state: 'done' })],
  ])('refuses a flag with %s (the start must not guess)', async (_label, content) => {
    fs.writeFileSync(path.join(dir, '.pending-restore'), content);
    await expect(store.read()).rejects.toBeInstanceOf(UnreadableJournalError);
  });
});
