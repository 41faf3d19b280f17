/**
 * The restart after staging, through the real service (`node dist/main.js`): in-process by default
 * (the same process closes the app gracefully and boots it again, applying the restore), and
 * `SENTINEL_RESTART_MODE=exit` (exit code 75 for a supervisor, which starts it again).
 */
import fs from 'node:fs';
import path from 'node:path';
import { RESTART_EXIT_CODE } from '../src/config/environment.js';
import { ALL_DATABASES, prepareBackupFolder, tarCzf, writeDatabase } from './fixtures/restore-archives.js';
import { inspectFiles, restoreWorkFiles, safetyCopies } from './fixtures/restore-app.js';
import { assertServiceBuilt, getJson, post, startService, waitHealthy, withService } from './fixtures/restore-service.js';
import { makeScratchDir } from './support/test-app.js';

const NAMES = ALL_DATABASES;
const ARCHIVE = 'sentinel-backup-2026-01-08-143022.tar.gz';

describe('Restore with a restart of the real service', () => {
  let root: string;
  let data: string;

  beforeAll(() => assertServiceBuilt());
  beforeEach(() => {
    root = makeScratchDir('sentinel-restart-');
    data = path.join(root, 'data');
    fs.mkdirSync(path.join(data, 'backups'), { recursive: true });
    for (const name of NAMES) writeDatabase(path.join(data, `${name}.db`), `current:${name}`);
    const folder = prepareBackupFolder(path.join(root, 'backup-set'), 'restored');
    tarCzf(folder, path.join(data, 'backups', ARCHIVE), ['backup-metadata.json', ...NAMES.map((n) => `${n}.db`)]);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const markersOf = (dir: string) => Object.fromEntries(Object.entries(inspectFiles(dir, NAMES)).map(([n, v]) => [n, v.marker]));
  const all = (marker: string) => Object.fromEntries(NAMES.map((n) => [n, `${marker}:${n}`]));

  it('in-process: answers 202, restarts inside the same process, and serves the restored databases', async () => {
    await withService(root, async (service) => {
      const pid = service.child.pid;
      const res = await post(`${service.url}/api/backups/local/restore`, { filename: ARCHIVE });
      expect(res).toMatchObject({ status: 202, body: { restarting: true, archive: ARCHIVE } });
      // The admin page polls health until the service is back; the restore status then tells the outcome.
      const until = Date.now() + 30_000;
      let status: any;
      for (;;) {
        status = (await getJson(`${service.url}/api/restore/status`))?.body;
        if (status?.last_apply) break;
        if (Date.now() > until) throw new Error(`no restart seen:\n${service.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await waitHealthy(service);
      expect(status).toMatchObject({ staged: null, last_apply: { outcome: 'applied', archive: ARCHIVE } });
      expect(service.child.pid).toBe(pid);
      expect(service.child.exitCode).toBeNull();
      expect(service.output()).toMatch(/Restarting in-process/);
      expect(markersOf(data)).toEqual(all('restored'));
    });
    expect(restoreWorkFiles(data)).toEqual([]);
    const [safety] = safetyCopies(data);
    expect(markersOf(path.join(data, safety))).toEqual(all('current'));
  }, 60_000);

  it('SENTINEL_RESTART_MODE=exit: exits with code 75 after staging; the next start applies the restore', async () => {
    const service = await startService(root, { SENTINEL_RESTART_MODE: 'exit' });
    await waitHealthy(service);
    const res = await post(`${service.url}/api/backups/local/restore`, { filename: ARCHIVE });
    expect(res.status).toBe(202);
    const exit = await service.exited;
    expect(exit.code).toBe(RESTART_EXIT_CODE);
    // Not applied yet: the supervisor's start does it.
    expect(markersOf(data)).toEqual(all('current'));
    await withService(
      root,
      async (again) => {
        expect((await getJson(`${again.url}/api/restore/status`))?.body.last_apply).toMatchObject({ outcome: 'applied' });
      },
      { SENTINEL_RESTART_MODE: 'exit' },
    );
    expect(markersOf(data)).toEqual(all('restored'));
  }, 60_000);
});
