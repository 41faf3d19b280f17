import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { ALL_DATABASES, buildTar, folderEntries, gzip, prepareBackupFolder, sha256, tarCzf } from '../../../test/fixtures/restore-archives.js';
import { Clock } from '../../common/clock.js';
import { DiskSpace } from '../../common/fs/disk-space.service.js';
import { readWorkFolderMarker } from '../../common/fs/work-folder.js';
import { InstallationIdentity } from '../../common/installation/installation-identity.js';
import type { AppConfig } from '../../config/app-config.js';
import type { ArchiveReadStep } from '../archive-reader/archive-read-step.js';
import { type ArchiveToUnpack, ArchiveUnpacker, type UnpackOptions } from './archive-unpacker.js';
import { DataFolderLayout } from './data-folder-layout.js';

/** Stands in for the disk: `free` bytes, and the folders each query was about. */
class FakeDisk extends DiskSpace {
  free = Number.MAX_SAFE_INTEGER;
  override available(): Promise<number> {
    return Promise.resolve(this.free);
  }
}

const NAME = 'sentinel-backup-2026-01-08-143022.tar.gz';

describe('ArchiveUnpacker', () => {
  let root: string;
  let good: string;
  let archiveFile: string;
  let dataDir: string;
  let disk: FakeDisk;
  let identity: InstallationIdentity;
  const layout = () => new DataFolderLayout(dataDir, ALL_DATABASES);
  const unpacker = (steps: ArchiveReadStep[] = []) => new ArchiveUnpacker(layout(), disk, new Clock(), identity, steps);

  /** The archive as a stored backup: opened on demand, `opened` and the body kept for the checks. */
  function stored(bytes: Buffer | string = archiveFile) {
    const seen: { body?: Readable; opened: number } = { opened: 0 };
    const archive: ArchiveToUnpack = {
      name: NAME,
      open: async () => {
        seen.opened++;
        seen.body = typeof bytes === 'string' ? fs.createReadStream(bytes) : Readable.from([bytes]);
        return { body: seen.body, size: typeof bytes === 'string' ? fs.statSync(bytes).size : bytes.length };
      },
    };
    return { archive, seen };
  }
  const options = (overrides: Partial<UnpackOptions> = {}): UnpackOptions => ({
    purpose: 'staging',
    room: () => undefined,
    signal: new AbortController().signal,
    ...overrides,
  });
  /** The work folders in DATA_DIR (everything but the installation id). */
  const workFolders = () => fs.readdirSync(dataDir).filter((name) => name !== '.installation-id');

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'unpacker-'));
    good = prepareBackupFolder(path.join(root, 'good'), 'new');
    archiveFile = tarCzf(good, path.join(root, NAME), ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)]);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(root, 'data-'));
    disk = new FakeDisk();
    identity = new InstallationIdentity({ env: { dataDir } } as AppConfig);
  });

  it('stages: every database into a new, marked .restore-staging-* folder, byte-identical; the caller owns it until discard()', async () => {
    const unpacked = await unpacker().unpack(stored().archive, options());
    expect(path.dirname(unpacked.dir)).toBe(dataDir);
    expect(path.basename(unpacked.dir)).toMatch(/^\.restore-staging-\d{4}-\d{2}-\d{2}-\d{6}-/);
    expect(readWorkFolderMarker(unpacked.dir)).toMatchObject({ kind: 'restore-staging', installation_id: identity.id, process_token: identity.processToken });
    expect(unpacked.databases.map((db) => [db.name, db.checksumOk])).toEqual(ALL_DATABASES.map((n) => [n, true]));
    for (const name of ALL_DATABASES) expect(sha256(path.join(unpacked.dir, `${name}.db`))).toBe(sha256(path.join(good, `${name}.db`)));
    expect(unpacked.metadata.timestamp).toBe('2026-01-08T14:30:22Z');
    await unpacked.discard();
    expect(workFolders()).toEqual([]);
  });

  it('verifies: a .restore-verify-* folder, and a damaged database is recorded, not thrown, so every database gets its verdict', async () => {
    const entries = folderEntries(good);
    const damaged = Buffer.from(entries[3].data as Buffer);
    damaged[100] ^= 0xff;
    entries[3] = { ...entries[3], data: damaged };
    const unpacked = await unpacker().unpack(stored(gzip(buildTar(entries))).archive, options({ purpose: 'verification' }));
    expect(path.basename(unpacked.dir)).toMatch(/^\.restore-verify-/);
    expect(readWorkFolderMarker(unpacked.dir)?.kind).toBe('restore-verify');
    expect(unpacked.databases.filter((db) => !db.checksumOk).map((db) => db.filename)).toEqual([entries[3].name]);
    await unpacked.discard();
  });

  it('checks the room once opened, before any folder is made: refused, nothing is made and the download is closed', async () => {
    disk.free = 1024;
    const rooms: Array<[number, boolean]> = [];
    const { archive, seen } = stored();
    const error = await unpacker()
      .unpack(
        archive,
        options({ room: (bytes, metadata) => (rooms.push([bytes, metadata !== undefined]), { bytes: 10, purpose: 'the test', refusal: () => 'no room' }) }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INSUFFICIENT_DISK_SPACE', message: 'no room', details: { path: dataDir } });
    expect(rooms).toEqual([[fs.statSync(archiveFile).size, false]]);
    expect(seen.body?.destroyed).toBe(true);
    expect(workFolders()).toEqual([]);
  });

  it('checks the room again with the metadata, before any database byte is written; refused, the folder is removed', async () => {
    const sizes: number[] = [];
    const error = await unpacker()
      .unpack(
        stored().archive,
        options({
          room: (_bytes, metadata) => {
            if (!metadata) return { bytes: 0, purpose: 'the test' };
            sizes.push(metadata.databases.reduce((sum, db) => sum + db.size_bytes, 0));
            // Only now the disk is short.
            disk.free = 0;
            return { bytes: sizes[0], purpose: 'the databases' };
          },
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INSUFFICIENT_DISK_SPACE', message: expect.stringMatching(/^Not enough free disk space for the databases: /) });
    expect(sizes[0]).toBe(ALL_DATABASES.reduce((sum, n) => sum + fs.statSync(path.join(good, `${n}.db`)).size, 0));
    expect(workFolders()).toEqual([]);
  });

  it('refuses a bad archive with its check, removes the folder and closes the download', async () => {
    const { archive, seen } = stored(gzip(Buffer.from('not a tar archive at all, just some text padding'.repeat(20))));
    await expect(unpacker().unpack(archive, options())).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', details: { check: 'tar' } });
    expect(seen.body?.destroyed).toBe(true);
    expect(workFolders()).toEqual([]);
  });

  it('stops when cancelled, with the cancel reason, and removes the folder', async () => {
    const abort = new AbortController();
    const reason = new Error('the client went away');
    const { archive } = stored();
    const slow: ArchiveToUnpack = {
      name: NAME,
      open: async (signal) => ({ ...(await archive.open(signal)), body: fs.createReadStream(archiveFile, { highWaterMark: 512 }) }),
    };
    const promise = unpacker().unpack(slow, options({ signal: abort.signal, onProgress: (bytes) => bytes > 2048 && abort.abort(reason) }));
    await expect(promise).rejects.toBe(reason);
    expect(workFolders()).toEqual([]);
  });

  it('leaves nothing when the archive cannot be opened (an unknown backup, say)', async () => {
    const missing: ArchiveToUnpack = { name: NAME, open: () => Promise.reject(new Error('no such backup')) };
    await expect(unpacker().unpack(missing, options())).rejects.toThrow('no such backup');
    expect(workFolders()).toEqual([]);
  });

  describe('read steps before gunzip', () => {
    it('a registered step sees the archive exactly as stored (gzip), before gunzip', async () => {
      const seen: Buffer[] = [];
      const recorder: ArchiveReadStep = {
        name: 'recorder',
        create: () =>
          new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              seen.push(chunk);
              callback(null, chunk);
            },
          }),
      };
      const unpacked = await unpacker([recorder]).unpack(stored().archive, options());
      const bytes = Buffer.concat(seen);
      expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      expect(bytes.equals(fs.readFileSync(archiveFile))).toBe(true);
      await unpacked.discard();
    });

    it('steps run in order and their output is what gunzip reads: an archive stored transformed unpacks through its inverse step', async () => {
      const byteStep = (name: string, map: (b: number) => number): ArchiveReadStep => ({
        name,
        create: () => new Transform({ transform: (chunk: Buffer, _encoding, callback) => callback(null, Buffer.from(chunk.map(map))) }),
      });
      const minusOne = byteStep('minus one', (b) => (b + 255) & 0xff);
      const xor = byteStep('xor', (b) => b ^ 0x5a);
      // Stored "encrypted" in two layers: XOR 0x5a, then plus one. Undone: minus one first, then XOR.
      const storedBytes = Buffer.from(fs.readFileSync(archiveFile).map((b) => ((b ^ 0x5a) + 1) & 0xff));
      await expect(unpacker().unpack(stored(storedBytes).archive, options())).rejects.toMatchObject({ details: { check: 'gzip' } });
      await expect(unpacker([xor, minusOne]).unpack(stored(storedBytes).archive, options())).rejects.toMatchObject({ details: { check: 'gzip' } });
      const unpacked = await unpacker([minusOne, xor]).unpack(stored(storedBytes).archive, options());
      expect(unpacked.databases.every((db) => db.checksumOk)).toBe(true);
      await unpacked.discard();
    });
  });
});
