import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DomainError } from '../errors/domain-error.js';
import { backupSpaceNeeds } from './backup-space.js';
import { DiskSpace, FREE_SPACE_MARGIN, spaceNeed } from './disk-space.service.js';

/** A disk with `free` bytes free: the one query a test stands in for. */
class DiskWith extends DiskSpace {
  constructor(private readonly free: number) {
    super();
  }
  override available(): Promise<number> {
    return Promise.resolve(this.free);
  }
}

const MiB = 1024 * 1024;

describe('DiskSpace', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'disk-space-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the free space of a folder, and of a folder not made yet from its nearest existing parent', async () => {
    const disk = new DiskSpace();
    const free = await disk.available(dir);
    expect(free).toBeGreaterThan(0);
    const later = await disk.available(path.join(dir, 'not', 'made', 'yet'));
    // The same file system; other processes may write meanwhile, so only roughly equal.
    expect(Math.abs(later - free)).toBeLessThan(512 * MiB);
    expect(fs.existsSync(path.join(dir, 'not'))).toBe(false);
  });

  it('lets the work go on when enough is free, the needed bytes exactly', async () => {
    await expect(new DiskWith(100 * MiB).ensure(dir, 100 * MiB, 'the test')).resolves.toBeUndefined();
  });

  it('refuses with 507 INSUFFICIENT_DISK_SPACE saying what for, how much is needed and free, and what to do', async () => {
    const error = await new DiskWith(10 * MiB).ensure(dir, 100 * MiB, 'the database snapshots').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'INSUFFICIENT_DISK_SPACE', details: { path: dir, needed_bytes: 100 * MiB, available_bytes: 10 * MiB } });
    expect((error as Error).message).toBe(
      `Not enough free disk space for the database snapshots: 100.0 MiB needed in ${dir}, 10.0 MiB free. Free up space or move the folder to a larger disk`,
    );
  });

  it("words the refusal the caller's way when it asks, with the same details", async () => {
    const error = await new DiskWith(1024)
      .ensure(dir, 2048, 'the restore', ({ dir: where, needed, free }) => `no room in ${where}: ${needed} > ${free}`)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'INSUFFICIENT_DISK_SPACE',
      message: `no room in ${dir}: 2048 > 1024`,
      details: { needed_bytes: 2048, available_bytes: 1024 },
    });
  });

  it('adds the one margin to every estimate, the backup estimate included', () => {
    expect(FREE_SPACE_MARGIN).toBe(64 * MiB);
    expect(spaceNeed(dir, 5 * MiB, 'x')).toEqual({ dir, bytes: 5 * MiB + FREE_SPACE_MARGIN, purpose: 'x' });
    expect(backupSpaceNeeds('r2', dir, 10 * MiB)).toEqual([{ dir, bytes: 10 * MiB + FREE_SPACE_MARGIN, purpose: 'the database snapshots' }]);
    // A local folder on the same disk as DATA_DIR: snapshots and archive in one need, with one margin.
    expect(backupSpaceNeeds('local', dir, 10 * MiB, path.join(dir, 'backups'))).toEqual([
      { dir, bytes: 20 * MiB + FREE_SPACE_MARGIN, purpose: 'the database snapshots and the local archive' },
    ]);
  });
});
