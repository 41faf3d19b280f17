import { describe, expect, it } from '@jest/globals';
import type { Clock } from '../common/clock.js';
import type { InstallationIdentity } from '../common/installation/installation-identity.js';
import type { ArchiveProvenance, WrittenArchive } from '../encryption/archive-provenance.store.js';
import { objectVersion, type StoredObject } from '../storage/object-storage.js';
import type { StorageTargets } from '../storage/storage-targets.js';
import { BackupCatalogService } from './backup-catalog.service.js';
import { ChainHolds } from './incremental-production/chain-holds.js';

const name = 'sentinel-backup-2026-01-08-143022.tar.gz.age';
const ME = '11111111-1111-4111-8111-111111111111';

function catalog(object: StoredObject, record: WrittenArchive): BackupCatalogService {
  const storage = {
    list: async () => [object],
    owners: async () => new Map([[name, ME]]),
    recipients: async () => new Map([[name, null]]),
    locks: async () => new Map([[name, null]]),
  };
  return new BackupCatalogService(
    { get: () => storage } as unknown as StorageTargets,
    { now: () => new Date('2026-01-09T00:00:00Z') } as unknown as Clock,
    { id: ME } as unknown as InstallationIdentity,
    { findAll: async () => new Map([[name, record]]), adoptedChains: async () => new Map() } as unknown as ArchiveProvenance,
    new ChainHolds(),
  );
}

describe('BackupCatalogService.list made_here', () => {
  const uploaded: StoredObject = { key: name, size: 4242, lastModified: new Date('2026-01-08T14:30:30.123Z'), etag: '"abc"' };
  const record: WrittenArchive = {
    target: 'r2',
    filename: name,
    sha256: 'a'.repeat(64),
    sizeBytes: 4242,
    recipients: ['age1x'],
    createdAt: new Date(),
    version: objectVersion(uploaded),
  };

  it('is true for the version that was uploaded', async () => {
    expect((await catalog(uploaded, record).list('r2'))[0].madeHere).toBe(true);
  });

  it('is false for another object of the same size put under the name since (another ETag, or another mtime)', async () => {
    expect((await catalog({ ...uploaded, etag: '"def"' }, record).list('r2'))[0].madeHere).toBe(false);
    const file: StoredObject = { key: name, size: 4242, lastModified: new Date('2026-01-08T14:30:30.123Z') };
    const fileRecord = { ...record, version: objectVersion(file) };
    expect((await catalog(file, fileRecord).list('r2'))[0].madeHere).toBe(true);
    expect((await catalog({ ...file, lastModified: new Date('2026-01-08T14:31:00.000Z') }, fileRecord).list('r2'))[0].madeHere).toBe(false);
  });
});

describe('BackupCatalogService.delete', () => {
  /** A target whose listing holds no other backup (so nothing depends on the one deleted). */
  const alone = { list: async () => [], owners: async () => new Map(), locks: async () => new Map() };

  it('forgets the record when the archive is gone but a marker could not be deleted, and still reports the failure', async () => {
    let present = true;
    const forgotten: string[] = [];
    const storage = {
      ...alone,
      head: async () => (present ? { key: name, size: 10, lastModified: new Date(), owner: ME } : undefined),
      delete: async () => {
        present = false; // the archive goes first, then its markers: the owner marker fails
        throw new Error(`Cannot delete '.${name}.owner'`);
      },
    };
    const service = new BackupCatalogService(
      { get: () => storage } as unknown as StorageTargets,
      { now: () => new Date() } as unknown as Clock,
      { id: ME } as unknown as InstallationIdentity,
      {
        forget: async (_target: string, filename: string) => void forgotten.push(filename),
        findAll: async () => new Map(),
        adoptedChains: async () => new Map(),
      } as unknown as ArchiveProvenance,
      new ChainHolds(),
    );
    await expect(service.delete('local', name)).rejects.toThrow(/owner/);
    expect(forgotten).toEqual([name]);
  });

  it('keeps the record when the archive itself is still there', async () => {
    const forgotten: string[] = [];
    const storage = {
      ...alone,
      head: async () => ({ key: name, size: 10, lastModified: new Date(), owner: ME }),
      delete: async () => {
        throw new Error('EACCES');
      },
    };
    const service = new BackupCatalogService(
      { get: () => storage } as unknown as StorageTargets,
      { now: () => new Date() } as unknown as Clock,
      { id: ME } as unknown as InstallationIdentity,
      {
        forget: async (_target: string, filename: string) => void forgotten.push(filename),
        findAll: async () => new Map(),
        adoptedChains: async () => new Map(),
      } as unknown as ArchiveProvenance,
      new ChainHolds(),
    );
    await expect(service.delete('local', name)).rejects.toThrow('EACCES');
    expect(forgotten).toEqual([]);
  });
});
