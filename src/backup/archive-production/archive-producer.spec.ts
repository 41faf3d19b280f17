import { Readable } from 'node:stream';
import { backupFilename, incrementalBackupFilename } from '../../archive-format/backup-filename.js';
import type { Clock } from '../../common/clock.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import type { InstallationIdentity } from '../../common/installation/installation-identity.js';
import type { DatabaseRegistry } from '../../database/database-registry.js';
import type { ManagedDatabase } from '../../database/managed-database.js';
import type { ObjectStorage, StoredObject, TransferOptions } from '../../storage/object-storage.js';
import type { StorageTargets } from '../../storage/storage-targets.js';
import { ObjectExists } from '../../storage/object-exists.error.js';
import { createHash } from 'node:crypto';
import type { ArchiveEncryption } from '../../encryption/archive-encryption.service.js';
import type { ArchiveProvenance, WrittenArchive } from '../../encryption/archive-provenance.store.js';
import type { ArchiveWriteContext } from '../archive-writer/archive-write-step.js';
import type { ArchiveContents, ArchiveWriter } from '../archive-writer/archive-writer.js';
import { storedDigest } from '../archive-writer/stored-digest.js';
import type { StartupRecovery } from '../startup-recovery.service.js';
import { isoSeconds } from '../../archive-format/backup-metadata.js';
import type { IncrementalProduction } from '../incremental-production/incremental-production.js';
import { ArchiveProducer, type ProductionProgress } from './archive-producer.js';
import type { BackupSpaceCheck } from './backup-space-check.js';
import type { DatabaseSnapshotter } from './database-snapshotter.js';
import type { ScratchFolders } from './scratch-folders.js';

const NOW = new Date('2026-03-14T09:26:53.589Z');
/** The stored file's modification time, as the local adapter reports it (ms): recorded as the archive's version. */
const STORED_AT = new Date('2026-03-14T09:27:01.123Z');
const DATABASES: ManagedDatabase[] = ['universe', 'config', 'ledger'].map((name) => ({ name, filename: `${name}.db`, path: `/data/${name}.db` }));
const SIZES: Record<string, number> = { universe: 5000, config: 1000, ledger: 3000 };
const SHA = createHash('sha256').update('the archive').digest('hex');
/** What a backup of a target with incremental backups off is: a full one, with no reason and no chain. */
const FULL = { kind: 'full', kindReason: null, base: null, parent: null };

/** Fakes of every port, recording the order of what happened. */
function setUp() {
  const calls: string[] = [];
  const uploads: { key: string; body: Buffer; options: TransferOptions }[] = [];
  const existing = new Set<string>();
  const written: ArchiveContents[] = [];
  const removed: string[] = [];
  const state = {
    snapshotError: undefined as Error | undefined,
    spaceError: undefined as Error | undefined,
    uploadError: undefined as Error | undefined,
    onSnapshot: undefined as ((name: string) => void) | undefined,
    recipients: undefined as string[] | undefined,
    recordError: undefined as Error | undefined,
    deleteError: undefined as Error | undefined,
    /** Names another writer stores between the producer's choice and its upload (a replica's incoming copy). */
    takenAtUpload: new Set<string>(),
  };
  const contexts: ArchiveWriteContext[] = [];
  const records: WrittenArchive[] = [];
  const deleted: string[] = [];

  const storage = {
    prepare: async () => void calls.push('prepare'),
    head: async (key: string): Promise<StoredObject | undefined> => (existing.has(key) ? ({ key, size: 1 } as StoredObject) : undefined),
    upload: async (key: string, body: Readable, options: TransferOptions): Promise<StoredObject> => {
      calls.push(`upload ${key}`);
      if (state.uploadError) throw state.uploadError;
      if (state.takenAtUpload.has(key)) {
        existing.add(key);
        for await (const _chunk of body) void _chunk;
        throw new ObjectExists('local', key, 'the backup folder /backups');
      }
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      uploads.push({ key, body: Buffer.concat(chunks), options });
      return { key, size: Buffer.concat(chunks).length, lastModified: STORED_AT } as StoredObject;
    },
    delete: async (key: string) => {
      if (state.deleteError) throw state.deleteError;
      deleted.push(key);
    },
  } as unknown as ObjectStorage;
  const registry = {
    whenOpen: async () => void calls.push('whenOpen'),
    assertIntact: () => undefined,
    list: () => DATABASES,
  } as unknown as DatabaseRegistry;
  const recovery = { whenDone: async () => void calls.push('recovery done') } as unknown as StartupRecovery;
  const space = {
    liveBytes: (dbs: readonly ManagedDatabase[]) => dbs.reduce((sum, db) => sum + SIZES[db.name], 0),
    ensure: async (target: string, bytes: number) => {
      calls.push(`space ${target} ${bytes}`);
      if (state.spaceError) throw state.spaceError;
    },
  } as unknown as BackupSpaceCheck;
  const scratchFolders = {
    create: async (jobId: string) => {
      calls.push(`scratch ${jobId}`);
      return `/data/.backup-tmp-${jobId}`;
    },
    remove: async (dir: string) => void removed.push(dir),
    removeFiles: async (files: readonly string[]) => void calls.push(...files.map((file) => `remove ${file}`)),
  } as unknown as ScratchFolders;
  const snapshotter = {
    snapshot: async (db: ManagedDatabase, dest: string, signal?: AbortSignal) => {
      calls.push(`snapshot ${db.name} → ${dest}`);
      state.onSnapshot?.(db.name);
      signal?.throwIfAborted();
      if (state.snapshotError && db.name === 'config') throw state.snapshotError;
      return { bytes: SIZES[db.name] - 1, sha256: `${db.name}-sum` };
    },
  } as unknown as DatabaseSnapshotter;
  const writer = {
    tarBytes: () => 12_345,
    maxBytes: (contents: Omit<ArchiveContents, 'dir'>) => 100_000 + contents.files.length,
    open: (contents: ArchiveContents, context: ArchiveWriteContext) => {
      written.push(contents);
      contexts.push(context);
      calls.push('archive');
      return Readable.from([Buffer.from('the archive')]).pipe(storedDigest());
    },
  } as unknown as ArchiveWriter;
  const clock = { now: () => NOW } as Clock;
  const identity = { id: 'installation-1' } as InstallationIdentity;
  const targets = { get: () => storage } as unknown as StorageTargets;
  const encryption = { recipientsFor: async () => state.recipients } as unknown as ArchiveEncryption;
  const provenance = {
    record: async (entry: WrittenArchive) => {
      if (state.recordError) throw state.recordError;
      records.push(entry);
    },
  } as unknown as ArchiveProvenance;
  // Incremental backups off: the path of every backup before them (VACUUM INTO snapshots, a full archive).
  const chains = {
    plan: async () => ({ pageStable: false, kind: 'full', reason: null }),
    release: () => undefined,
    startNewChain: async () => undefined,
    pageWorkDone: async () => void calls.push('page work done'),
  } as unknown as IncrementalProduction;
  const producer = new ArchiveProducer(
    registry,
    recovery,
    targets,
    space,
    scratchFolders,
    snapshotter,
    writer,
    clock,
    identity,
    encryption,
    provenance,
    chains,
  );

  const phases: string[] = [];
  const progress: ProductionProgress = {
    enterPhase: async (phase, total) => void phases.push(`${phase} ${total}`),
    bytesDone: () => undefined,
  };
  return { producer, calls, uploads, existing, written, removed, state, phases, progress, contexts, records, deleted, chains };
}

describe('ArchiveProducer', () => {
  const job = { id: 'job-1', target: 'local' as const };

  it('states the archive it will store (name, kind, recipients) before the upload starts', async () => {
    const f = setUp();
    const progress = {
      ...f.progress,
      willStore: async (intent: unknown) => void f.calls.push(`will store ${JSON.stringify(intent)}`),
    };
    await f.producer.produce(job, new AbortController().signal, progress);
    const intent = f.calls.findIndex((c) => c.startsWith('will store'));
    expect(f.calls[intent]).toBe(`will store ${JSON.stringify({ filename: backupFilename(NOW), encrypted: false, recipients: null })}`);
    expect(intent).toBeLessThan(f.calls.indexOf(`upload ${backupFilename(NOW)}`));
  });

  it('stores under the next second when another writer takes the chosen name meanwhile, never replacing nor deleting its archive', async () => {
    const f = setUp();
    const willStore: string[] = [];
    f.state.takenAtUpload.add(backupFilename(NOW));
    const produced = await f.producer.produce(job, new AbortController().signal, {
      ...f.progress,
      willStore: async (intent) => void willStore.push(intent.filename),
    });
    const next = backupFilename(new Date(NOW.getTime() + 1000));
    expect(produced.filename).toBe(next);
    expect(f.uploads.map((u) => u.key)).toEqual([next]);
    // The archive says the time its name says, and the job records the name it ends up with.
    expect(f.written.at(-1)?.metadata.timestamp).toBe(isoSeconds(new Date(NOW.getTime() + 1000)));
    expect(willStore.at(-1)).toBe(next);
    expect(f.deleted).toEqual([]);
    expect(f.records.map((r) => r.filename)).toEqual([next]);
    // Snapshots are taken once: the archive is written again from the same scratch folder.
    expect(f.calls.filter((c) => c.startsWith('snapshot'))).toHaveLength(DATABASES.length);
  });

  it('checks the space before any snapshot, then snapshots every database into its scratch folder and uploads the archive', async () => {
    const f = setUp();
    const produced = await f.producer.produce(job, new AbortController().signal, f.progress);

    expect(produced).toEqual({ filename: backupFilename(NOW), size: 'the archive'.length, sha256: SHA, encrypted: false, recipients: null, ...FULL });
    const firstSnapshot = f.calls.findIndex((c) => c.startsWith('snapshot'));
    expect(f.calls.slice(0, firstSnapshot)).toEqual(['whenOpen', 'recovery done', 'prepare', 'space local 9000', 'scratch job-1']);
    expect(f.calls.filter((c) => c.startsWith('snapshot')).sort()).toEqual(
      DATABASES.map((db) => `snapshot ${db.name} → /data/.backup-tmp-job-1/${db.filename}`).sort(),
    );
    expect(f.phases).toEqual(['checking 0', 'snapshotting 9000', 'archiving 12345']);
    expect(f.removed).toEqual(['/data/.backup-tmp-job-1']);
  });

  it('starts the copies with the largest databases (the metadata keeps registry order: next test)', async () => {
    const f = setUp();
    await f.producer.produce(job, new AbortController().signal, f.progress);
    // universe 5000, ledger 3000, config 1000 bytes; the registry's order is universe, config, ledger.
    expect(f.calls.filter((c) => c.startsWith('snapshot')).map((c) => c.split(' ')[1])).toEqual(['universe', 'ledger', 'config']);
  });

  it('writes metadata that lists every database in registry order, with its size and checksum, timed by the name', async () => {
    const f = setUp();
    await f.producer.produce(job, new AbortController().signal, f.progress);
    expect(f.written).toHaveLength(1);
    expect(f.written[0].dir).toBe('/data/.backup-tmp-job-1');
    expect(f.written[0].metadata).toEqual({
      timestamp: '2026-03-14T09:26:53Z',
      version: '1.0.0',
      sentinel_version: expect.any(String),
      databases: DATABASES.map((db) => ({ name: db.name, filename: db.filename, size_bytes: SIZES[db.name] - 1, checksum: `sha256:${db.name}-sum` })),
    });
  });

  it('moves a name that is taken to the next free second, and dates the metadata by it', async () => {
    const f = setUp();
    f.existing.add(backupFilename(NOW));
    f.existing.add(backupFilename(new Date(NOW.getTime() + 1000)));
    const produced = await f.producer.produce(job, new AbortController().signal, f.progress);
    expect(produced.filename).toBe(backupFilename(new Date(NOW.getTime() + 2000)));
    expect(f.written[0].metadata.timestamp).toBe('2026-03-14T09:26:55Z');
  });

  it('moves past a second an increment (plain or encrypted) already carries: both kinds share one time line', async () => {
    const f = setUp();
    f.existing.add(incrementalBackupFilename(NOW));
    f.existing.add(incrementalBackupFilename(new Date(NOW.getTime() + 1000), { encrypted: true }));
    const produced = await f.producer.produce(job, new AbortController().signal, f.progress);
    expect(produced.filename).toBe(backupFilename(new Date(NOW.getTime() + 2000)));
  });

  it("gives the upload the installation as owner and the writer's maximum size", async () => {
    const f = setUp();
    const signal = new AbortController().signal;
    await f.producer.produce(job, signal, f.progress);
    expect(f.uploads).toHaveLength(1);
    expect(f.uploads[0].key).toBe(backupFilename(NOW));
    expect(f.uploads[0].body.toString()).toBe('the archive');
    expect(f.uploads[0].options).toEqual({ signal, owner: 'installation-1', maxBytes: 100_003 });
  });

  it('takes no snapshot and makes no scratch folder when the space check fails', async () => {
    const f = setUp();
    f.state.spaceError = new DomainError(ErrorCode.InsufficientDiskSpace, 'Not enough free disk space');
    await expect(f.producer.produce(job, new AbortController().signal, f.progress)).rejects.toBe(f.state.spaceError);
    expect(f.calls.some((c) => c.startsWith('snapshot') || c.startsWith('scratch'))).toBe(false);
    expect(f.phases).toEqual(['checking 0']);
  });

  it('turns a snapshot error into a DomainError naming the database and what to do, and removes the scratch folder', async () => {
    const f = setUp();
    f.state.snapshotError = new Error('SQLITE_CANTOPEN: unable to open database file');
    const failure = await f.producer.produce(job, new AbortController().signal, f.progress).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DomainError);
    expect(failure).toMatchObject({ code: ErrorCode.BackupFailed, details: { file: 'config.db' } });
    expect((failure as Error).message).toBe(
      "Cannot copy the database config.db for the backup: SQLITE_CANTOPEN: unable to open database file. Check that /data/config.db is readable by the service's user and that GET /api/health reports no damaged database, then run the backup again",
    );
    expect(f.removed).toEqual(['/data/.backup-tmp-job-1']);
    expect(f.uploads).toEqual([]);
  });

  it('removes the scratch folder when the upload fails', async () => {
    const f = setUp();
    f.state.uploadError = new DomainError(ErrorCode.StorageAccessDenied, 'Access denied');
    await expect(f.producer.produce(job, new AbortController().signal, f.progress)).rejects.toBe(f.state.uploadError);
    expect(f.removed).toEqual(['/data/.backup-tmp-job-1']);
  });

  it('stops at an abort during the snapshots with the abort reason (not a snapshot error), uploads nothing and removes the scratch folder', async () => {
    const f = setUp();
    const abort = new AbortController();
    const reason = new Error('the service is shutting down');
    // The last database's copy is stopped by the abort (the worker is terminated): its error is the abort's.
    f.state.onSnapshot = (name) => name === 'ledger' && abort.abort(reason);
    await expect(f.producer.produce(job, abort.signal, f.progress)).rejects.toBe(reason);
    expect(f.calls.filter((c) => c.startsWith('upload'))).toEqual([]);
    expect(f.removed).toEqual(['/data/.backup-tmp-job-1']);
  });

  it('records a plain archive as made here, with the hash and size of the bytes stored, and names it .tar.gz', async () => {
    const f = setUp();
    await f.producer.produce(job, new AbortController().signal, f.progress);
    expect(f.contexts).toEqual([{ target: 'local', recipients: undefined }]);
    expect(f.records).toEqual([
      {
        target: 'local',
        filename: backupFilename(NOW),
        sha256: SHA,
        sizeBytes: 11,
        recipients: null,
        createdAt: NOW,
        version: `size 11 mtime ${STORED_AT.getTime()}`,
      },
    ]);
  });

  it('with recipients, names the archive .tar.gz.age, gives the recipients to the write steps and the upload, and records them', async () => {
    const f = setUp();
    f.state.recipients = ['age1one', 'age1two'];
    f.existing.add(backupFilename(NOW)); // a plain backup of the same second moves the encrypted one on
    const signal = new AbortController().signal;
    const produced = await f.producer.produce(job, signal, f.progress);
    const name = backupFilename(new Date(NOW.getTime() + 1000), { encrypted: true });
    expect(produced).toEqual({ filename: name, size: 11, sha256: SHA, encrypted: true, recipients: ['age1one', 'age1two'], ...FULL });
    expect(f.contexts).toEqual([{ target: 'local', recipients: ['age1one', 'age1two'] }]);
    expect(f.uploads[0].options).toEqual({ signal, owner: 'installation-1', maxBytes: 100_003, recipients: ['age1one', 'age1two'] });
    expect(f.records).toEqual([
      {
        target: 'local',
        filename: name,
        sha256: SHA,
        sizeBytes: 11,
        recipients: ['age1one', 'age1two'],
        createdAt: NOW,
        version: `size 11 mtime ${STORED_AT.getTime()}`,
      },
    ]);
    expect(f.written[0].metadata.timestamp).toBe('2026-03-14T09:26:54Z');
  });

  it('fails the job and deletes its archive when the record of it cannot be written', async () => {
    const f = setUp();
    f.state.recordError = new Error('SQLITE_FULL: database or disk is full');
    const failure = await f.producer.produce(job, new AbortController().signal, f.progress).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: ErrorCode.BackupFailed });
    expect((failure as Error).message).toMatch(/^Cannot record sentinel-backup-.*\.tar\.gz as made by this installation: SQLITE_FULL/);
    expect(f.deleted).toEqual([backupFilename(NOW)]);
    expect(f.removed).toEqual(['/data/.backup-tmp-job-1']);
  });

  it('says the archive it could not record is still in the target, and why, when deleting it fails too', async () => {
    const f = setUp();
    f.state.recordError = new Error('SQLITE_FULL: database or disk is full');
    f.state.deleteError = new Error('EACCES: permission denied');
    const failure = await f.producer.produce(job, new AbortController().signal, f.progress).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: ErrorCode.BackupFailed });
    expect((failure as Error).message).toBe(
      `Cannot record ${backupFilename(NOW)} as made by this installation: SQLITE_FULL: database or disk is full, so ${backupFilename(NOW)} could not be ` +
        'deleted either (EACCES: permission denied): delete it by hand. Check that the data folder is writable and has free space, then run the backup again',
    );
    expect(f.deleted).toEqual([]);
  });

  it('deletes a stored increment and fails the job when its chain cannot be checked after the upload, recording nothing', async () => {
    const f = setUp();
    const base = backupFilename(new Date('2026-03-14T00:00:00Z'));
    const parent = incrementalBackupFilename(new Date('2026-03-14T09:00:00Z'));
    let released = 0;
    let advanced = 0;
    const plan = {
      pageStable: true,
      kind: 'incremental',
      reason: null,
      index: { last: parent },
      folder: '/data/.page-index/local',
      hold: { links: new Set([base, parent]), release: () => undefined },
    };
    Object.assign(f.chains, {
      plan: async () => plan,
      release: () => void released++,
      carriedOver: () => new Map(),
      snapshot: async (db: ManagedDatabase) => ({ bytes: SIZES[db.name], sha256: `${db.name}-sum`, file: `/scratch/${db.filename}`, version: null }),
      increment: async () => ({ base, parent, databases: [], files: [] }),
      // The target stopped answering between the upload and the check.
      missingLinks: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:7480');
      },
      advance: async () => void advanced++,
    });
    const failure = await f.producer.produce(job, new AbortController().signal, f.progress).catch((error: unknown) => error);
    const name = incrementalBackupFilename(NOW);
    expect(f.uploads.map((upload) => upload.key)).toEqual([name]);
    expect(failure).toMatchObject({ code: ErrorCode.BackupFailed, details: { filename: name } });
    expect((failure as Error).message).toBe(
      `Cannot check that the chain of this increment is still whole in the target (connect ECONNREFUSED 127.0.0.1:7480), so ${name} was deleted. ` +
        'Check that the target is reachable (GET /api/health), then run the backup again',
    );
    expect(f.deleted).toEqual([name]);
    // The copies are not in an increment: they were removed before its upload, not after it.
    const copies = ['config', 'ledger', 'universe'].map((db) => `remove /scratch/${db}.db`);
    const order = f.calls.filter((call) => call.startsWith('remove ') || call.startsWith('upload ') || call === 'page work done');
    expect(order.slice(0, -2).sort()).toEqual(copies);
    // The snapshot threads are ended before the archive is written, not left idling beside its thread.
    expect(order.slice(-2)).toEqual(['page work done', `upload ${name}`]);
    expect(f.records).toEqual([]);
    expect(advanced).toBe(0);
    expect(released).toBe(1);
    expect(f.removed).toEqual(['/data/.backup-tmp-job-1']);
  });
});
