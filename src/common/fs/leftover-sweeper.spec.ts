import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppConfig } from '../../config/app-config.js';
import { parseEnvironment } from '../../config/environment.js';
import { InstallationIdentity } from '../installation/installation-identity.js';
import { LeftoverSweeper, STALE_PARTIAL_MARGIN_MS } from './leftover-sweeper.js';
import { createWorkFolder, PARTIAL_NAME, WORK_FOLDER_MARKER } from './work-folder.js';

/** A sweeper and an identity as a process of this installation would have them, on a real DATA_DIR. */
function processOf(dataDir: string): { identity: InstallationIdentity; sweeper: LeftoverSweeper } {
  const config: AppConfig = { env: parseEnvironment({ DATA_DIR: dataDir, SENTINEL_MASTER_KEY: 'test-master-passphrase-0123456789' }) };
  const identity = new InstallationIdentity(config);
  return { identity, sweeper: new LeftoverSweeper(config, identity) };
}

describe('LeftoverSweeper', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-spec-'))));
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('removes a work folder of an earlier process of this installation, with its contents', async () => {
    const dead = processOf(dataDir);
    const scratch = await createWorkFolder(dead.identity, dataDir, '.backup-tmp-', 'backup-scratch', { jobId: 'job-1' });
    fs.writeFileSync(path.join(scratch, 'universe.db'), 'snapshot');
    const staging = await createWorkFolder(dead.identity, dataDir, '.restore-staging-2026-01-08-143022-', 'restore-staging');

    const report = await processOf(dataDir).sweeper.sweepDataDir();

    expect(fs.existsSync(scratch)).toBe(false);
    expect(fs.existsSync(staging)).toBe(false);
    expect(report.removed).toEqual(
      expect.arrayContaining([
        { name: path.basename(scratch), kind: 'backup-scratch', jobId: 'job-1' },
        { name: path.basename(staging), kind: 'restore-staging' },
      ]),
    );
    expect(report.leftAlone).toEqual([]);
  });

  it('leaves a folder that is only named like one of its own (no marker) alone, with everything in it', async () => {
    const foreign = ['.backup-tmp-archive', '.restore-staging-mybackups', '.restore-verify-x', '.pre-restore-backup-x.partial'];
    for (const name of foreign) {
      fs.mkdirSync(path.join(dataDir, name));
      fs.writeFileSync(path.join(dataDir, name, 'sentinel-backup-2026-01-08-143022.tar.gz'), 'the user’s only backup');
    }
    const report = await processOf(dataDir).sweeper.sweepDataDir();
    for (const name of foreign)
      expect(fs.readFileSync(path.join(dataDir, name, 'sentinel-backup-2026-01-08-143022.tar.gz'), 'utf8')).toBe('the user’s only backup');
    expect(report.leftAlone.sort()).toEqual([...foreign].sort());
    expect(report.removed).toEqual([]);
  });

  it('leaves a damaged marker, another installation’s marker, a mismatched kind and a symbolic link alone', async () => {
    const dead = processOf(dataDir);
    const damaged = await createWorkFolder(dead.identity, dataDir, '.backup-tmp-', 'backup-scratch');
    fs.writeFileSync(path.join(damaged, WORK_FOLDER_MARKER), '{"installation_id": ');
    fs.writeFileSync(path.join(damaged, 'keep.txt'), 'x');
    const other = await createWorkFolder(dead.identity, dataDir, '.restore-verify-', 'restore-verify');
    const marker = JSON.parse(fs.readFileSync(path.join(other, WORK_FOLDER_MARKER), 'utf8'));
    fs.writeFileSync(path.join(other, WORK_FOLDER_MARKER), JSON.stringify({ ...marker, installation_id: '00000000-0000-4000-8000-000000000000' }));
    const mismatched = await createWorkFolder(dead.identity, dataDir, '.backup-tmp-', 'restore-staging');
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-target-'));
    fs.writeFileSync(path.join(target, 'precious'), 'x');
    fs.symlinkSync(target, path.join(dataDir, '.backup-tmp-link'));
    try {
      const report = await processOf(dataDir).sweeper.sweepDataDir();
      expect(fs.existsSync(path.join(damaged, 'keep.txt'))).toBe(true);
      expect(fs.existsSync(other)).toBe(true);
      expect(fs.existsSync(mismatched)).toBe(true);
      expect(fs.existsSync(path.join(target, 'precious'))).toBe(true);
      expect(report.leftAlone.sort()).toEqual([path.basename(damaged), path.basename(other), path.basename(mismatched), '.backup-tmp-link'].sort());
    } finally {
      fs.rmSync(target, { recursive: true, force: true });
    }
  });

  it('never removes a folder of the running process, nor one it is told to keep', async () => {
    const running = processOf(dataDir);
    const mine = await createWorkFolder(running.identity, dataDir, '.backup-tmp-', 'backup-scratch');
    const staged = await createWorkFolder(processOf(dataDir).identity, dataDir, '.restore-staging-', 'restore-staging');
    const report = await running.sweeper.sweepDataDir({ keep: [path.basename(staged)] });
    expect(fs.existsSync(mine)).toBe(true);
    expect(fs.existsSync(staged)).toBe(true);
    expect(report).toEqual({ removed: [], leftAlone: [] });
  });

  it('removes an empty folder named like its own (a kill before the marker was written) with rmdir', async () => {
    fs.mkdirSync(path.join(dataDir, '.backup-tmp-abc123'));
    const report = await processOf(dataDir).sweeper.sweepDataDir();
    expect(fs.existsSync(path.join(dataDir, '.backup-tmp-abc123'))).toBe(false);
    expect(report.removed).toEqual([{ name: '.backup-tmp-abc123', kind: 'backup-scratch' }]);
  });

  it('touches nothing else in DATA_DIR', async () => {
    for (const name of ['universe.db', 'backups', 'pre-restore-backup-2026-01-08-143022', '.installation-id-copy'])
      fs.mkdirSync(path.join(dataDir, name), { recursive: true });
    const { sweeper } = processOf(dataDir);
    const before = fs.readdirSync(dataDir).sort();
    await sweeper.sweepDataDir();
    expect(fs.readdirSync(dataDir).sort()).toEqual(before);
  });

  describe('.partial files in a backup folder', () => {
    let folder: string;
    beforeEach(() => fs.mkdirSync((folder = path.join(dataDir, 'backups'))));

    /** A `.partial` file as a write that never finished leaves it, `ageMs` old. */
    function leftPartial(sweeper: LeftoverSweeper, base: string, ageMs = 0): string {
      const { path: file } = sweeper.partialFile(folder, base); // never released: its process died
      fs.writeFileSync(file, 'half an archive');
      const when = new Date(Date.now() - ageMs);
      fs.utimesSync(file, when, when);
      return path.basename(file);
    }
    const remaining = () => fs.readdirSync(folder).sort();

    it('names its temporary files so that they are recognised as its own, and never as an archive', () => {
      const { sweeper } = processOf(dataDir);
      const claim = sweeper.partialFile(folder, 'sentinel-backup-2026-01-08-143022.tar.gz');
      const name = path.basename(claim.path);
      expect(path.dirname(claim.path)).toBe(folder);
      expect(name).toMatch(PARTIAL_NAME);
      expect(name.startsWith('.sentinel-backup-2026-01-08-143022.tar.gz.')).toBe(true);
      expect(sweeper.ownsPartial(name)).toBe(true);
      expect(processOf(dataDir).sweeper.ownsPartial(name)).toBe(true); // the next process of this installation
    });

    it('at start removes every .partial file of this installation, whatever its age, and nothing else', async () => {
      const dead = processOf(dataDir).sweeper;
      const fresh = leftPartial(dead, 'a.tar.gz');
      const old = leftPartial(dead, 'b.tar.gz', 3 * 86_400_000);
      fs.writeFileSync(path.join(folder, 'sentinel-backup-2026-01-08-143022.tar.gz'), 'a finished archive');
      fs.writeFileSync(path.join(folder, '.notes.partial'), 'a user file with a similar name');

      const report = await processOf(dataDir).sweeper.sweepPartials(folder);

      expect(report.removed.sort()).toEqual([fresh, old].sort());
      expect(report.failed).toEqual([]);
      expect(remaining()).toEqual(['.notes.partial', 'sentinel-backup-2026-01-08-143022.tar.gz']);
    });

    it('leaves .partial files of another installation alone, whatever their age, and reports them', async () => {
      const otherDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-other-'));
      try {
        const foreign = leftPartial(processOf(otherDataDir).sweeper, 'a.tar.gz', 3 * 86_400_000);
        const { sweeper } = processOf(dataDir);
        expect(sweeper.ownsPartial(foreign)).toBe(false);

        const atStart = await sweeper.sweepPartials(folder);
        const whileRunning = await sweeper.sweepPartials(folder, { longestWriteMs: 1000 });

        expect(atStart).toEqual({ removed: [], leftAlone: [foreign], failed: [] });
        expect(whileRunning).toEqual({ removed: [], leftAlone: [foreign], failed: [] });
        expect(remaining()).toEqual([foreign]);
      } finally {
        fs.rmSync(otherDataDir, { recursive: true, force: true });
      }
    });

    it('while running removes only its files older than the longest write plus the margin', async () => {
      const dead = processOf(dataDir).sweeper;
      const longestWriteMs = 30 * 60_000;
      const recent = leftPartial(dead, 'recent.tar.gz', longestWriteMs + STALE_PARTIAL_MARGIN_MS - 60_000);
      const stale = leftPartial(dead, 'stale.tar.gz', longestWriteMs + STALE_PARTIAL_MARGIN_MS + 60_000);

      const report = await processOf(dataDir).sweeper.sweepPartials(folder, { longestWriteMs });

      expect(report).toEqual({ removed: [stale], leftAlone: [], failed: [] });
      expect(remaining()).toEqual([recent]);
    });

    it('never removes a file this process is writing, until the write releases it', async () => {
      const { sweeper } = processOf(dataDir);
      const claim = sweeper.partialFile(folder, 'a.tar.gz');
      fs.writeFileSync(claim.path, 'being written');
      const old = new Date(Date.now() - 86_400_000);
      fs.utimesSync(claim.path, old, old);

      expect((await sweeper.sweepPartials(folder)).removed).toEqual([]);
      expect((await sweeper.sweepPartials(folder, { longestWriteMs: 0 })).removed).toEqual([]);
      expect(fs.existsSync(claim.path)).toBe(true);

      claim.release();
      expect((await sweeper.sweepPartials(folder)).removed).toEqual([path.basename(claim.path)]);
    });

    it('finds nothing in a folder that does not exist yet, and rejects when the folder cannot be listed', async () => {
      const { sweeper } = processOf(dataDir);
      expect(await sweeper.sweepPartials(path.join(dataDir, 'not-yet'))).toEqual({ removed: [], leftAlone: [], failed: [] });
      const file = path.join(dataDir, 'a-file');
      fs.writeFileSync(file, 'x');
      await expect(sweeper.sweepPartials(file)).rejects.toMatchObject({ code: 'ENOTDIR' });
    });
  });
});
