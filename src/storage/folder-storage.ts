import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath, placeWithoutReplacing } from '../common/fs/durable-fs.js';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { backupSpaceNeeds, liveDatabaseBytes } from '../common/fs/backup-space.js';
import { assertOnDisk, bounded, makeFolder } from '../common/fs/bounded-fs.js';
import { DiskSpace } from '../common/fs/disk-space.service.js';
import { folderError, type WriteFacts } from '../common/fs/folder-error.js';
import { LeftoverSweeper } from '../common/fs/leftover-sweeper.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import {
  type ConnectionCheck,
  type ConnectionTestResult,
  assertDownloadOffset,
  type DeleteManyResult,
  type DownloadOptions,
  type DownloadResult,
  type LeftoverReport,
  type ObjectLock,
  ObjectStorage,
  type StoredObject,
  type TransferOptions,
} from './object-storage.js';
import { byteCounter } from '../common/streams/byte-counter.js';
import { formatBytes, formatDuration } from '../common/format.js';
import { CONNECTION_TEST_PREFIX, probeContent } from './connection-probe.js';
import {
  assertKeyPrefix,
  assertObjectKey,
  formatRecipients,
  objectKeyProblem,
  OWNER_SIDECAR_NAME,
  ownerSidecarName,
  PARTIAL_NAME,
  parseOwner,
  parseRecipients,
  RECIPIENTS_SIDECAR_NAME,
  recipientsSidecarName,
} from './object-key.js';
import { mapConcurrently } from '../common/concurrency.js';
import { ObjectExists } from './object-exists.error.js';
import { oneAtATime } from './one-at-a-time.js';
import { OperationScope } from './operation-scope.js';
import { StorageOptions } from './storage-options.js';

const FILE_MODE = 0o600;
/** Sidecars read at once when listing owners: small files, but a thousand at once would exhaust descriptors. */
const OWNER_READ_CONCURRENCY = 16;

/**
 * A folder target: a folder (local_backup_dir for the built-in `local`, `path` for an added one; created
 * on demand) where each key is a file.
 * A write goes to `.<key>.<tag><random>.partial` in the same folder, is fsynced, and is renamed into
 * place only when complete, so a reader never sees half an object; temporary files are never listed.
 * The temporary names come from the LeftoverSweeper, which stamps them with this installation's tag
 * and removes a `.partial` file only when its name carries it, never another installation's or a user's.
 */
export class FolderStorage extends ObjectStorage {
  protected readonly logger: Logger;

  constructor(
    readonly target: string,
    /** The folder's setting as messages name it: local_backup_dir, or `path (target 'nas')`. */
    private readonly folderSetting: string,
    /** The folder as the settings say now (absolute). */
    private readonly loadFolder: () => Promise<string>,
    private readonly options: StorageOptions,
    /**
     * What only writing, the clean-up and the connection test use (this installation's `.partial` names, the
     * databases' size, the free space). Absent in an adapter that only lists and reads (the command line's
     * `--dir`): building them would create files in some DATA_DIR (an installation id) the user did not ask for.
     */
    private readonly writing?: { sweeper: LeftoverSweeper; registry: DatabaseRegistry; disk: DiskSpace },
  ) {
    super();
    this.logger = new Logger(target === 'local' ? 'LocalStorage' : `FolderStorage ${target}`);
  }

  private get sweeper(): LeftoverSweeper {
    return this.writingPart().sweeper;
  }

  private get registry(): DatabaseRegistry {
    return this.writingPart().registry;
  }

  private get disk(): DiskSpace {
    return this.writingPart().disk;
  }

  private writingPart(): NonNullable<FolderStorage['writing']> {
    if (!this.writing) {
      throw new DomainError(
        ErrorCode.Internal,
        `The backup folder ${this.folderSetting} was opened for reading only (sentinel-backup): it cannot be written or cleaned up here`,
      );
    }
    return this.writing;
  }

  /** The target in log lines: 'Local' for the built-in (as before), else the target's id. */
  private get kindLabel(): string {
    return this.target === 'local' ? 'Local' : `Folder target '${this.target}'`;
  }

  override async prepare(): Promise<void> {
    const dir = await this.folder();
    try {
      await this.ensureFolder(dir);
    } catch (error) {
      throw this.failure(error, 'create', dir);
    }
  }

  /** This installation's `.partial` files in the folder, whatever their age (the sweeper proves each is ours). */
  async removeLeftovers(): Promise<LeftoverReport> {
    const report: LeftoverReport = { removed: [], failed: [] };
    let dir = '';
    try {
      dir = await this.folder();
      const swept = await this.sweeper.sweepPartials(dir);
      for (const { name, error } of swept.failed) {
        report.failed.push(`could not remove the unfinished file ${name} from ${dir}: ${(this.failure(error, 'clean up', dir) as Error).message}`);
      }
      const removed = swept.removed;
      if (removed.length > 0)
        report.removed.push(`${removed.length === 1 ? 'the unfinished file' : `${removed.length} unfinished files`} ${removed.join(', ')} in ${dir}`);
      const orphans = await this.removeOrphanSidecars(dir, report);
      if (orphans.length > 0)
        report.removed.push(
          `${orphans.length === 1 ? 'the marker' : `${orphans.length} markers`} ${orphans.join(', ')} of an archive no longer there in ${dir}`,
        );
    } catch (error) {
      const message = error instanceof DomainError ? error.message : (this.failure(error, 'clean up', dir) as Error).message;
      report.failed.push(`could not look for unfinished files in the backup folder: ${message}`);
      this.logger.warn(`Start-up clean-up of the backup folder: ${message}`);
    }
    return report;
  }

  /**
   * The owner and recipients markers whose archive is not there, when the owner marker names this
   * installation: what a kill between writing the markers and the archive's rename, or between deleting
   * the archive and its markers, leaves. Called at start, before any upload (whose markers precede its
   * archive). The owner marker is the proof, so it goes last; a recipients marker without one stays.
   */
  private async removeOrphanSidecars(dir: string, report: LeftoverReport): Promise<string[]> {
    const removed: string[] = [];
    const names = new Set(await fsp.readdir(dir).catch(() => [] as string[]));
    for (const name of names) {
      if (!OWNER_SIDECAR_NAME.test(name)) continue;
      const key = name.slice(1, -'.owner'.length);
      if (objectKeyProblem(key) !== undefined || names.has(key) || (await this.statObject(dir, key).catch(() => 'unknown'))) continue;
      if (!this.sweeper.ownsInstallation(await this.readOwner(dir, key).catch(() => undefined))) continue;
      for (const sidecar of [recipientsSidecarName(key), ownerSidecarName(key)]) {
        try {
          await fsp.unlink(path.join(dir, sidecar));
          removed.push(sidecar);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          report.failed.push(`could not remove the marker ${sidecar} from ${dir}: ${(this.failure(error, 'clean up', dir) as Error).message}`);
          break; // the owner marker stays while its recipients marker does
        }
      }
    }
    return removed;
  }

  /** On failure `body` is destroyed (without an error), so whatever produces it stops. */
  async upload(key: string, body: Readable, options: TransferOptions = {}): Promise<StoredObject> {
    let dir: string;
    try {
      assertObjectKey(key);
      dir = await this.folder();
    } catch (error) {
      if (!body.destroyed) body.destroy();
      throw error;
    }
    const started = Date.now();
    const scope = new OperationScope(`${this.kindLabel} upload of '${key}'`, this.options.operationTimeoutMs, options.signal);
    const partial = this.sweeper.partialFile(dir, key);
    const temp = partial.path;
    const target = path.join(dir, key);
    let file: fsp.FileHandle | undefined;
    /** The sidecars this upload created (and only those: a refused one is another's). */
    let sidecarsWritten: string[] = [];
    // The source's own failure is the caller's error, passed on as it is; a failed write is ours.
    let sourceError: unknown;
    let writeError: unknown;
    const written = byteCounter(options.onProgress);
    const onSourceError = (error: unknown) => {
      if (writeError === undefined) sourceError ??= error;
    };
    // Stays attached: a late error of the source must not become an unhandled 'error' event.
    body.on('error', onSourceError);
    try {
      await this.ensureFolder(dir);
      // What a failed removal of an earlier process left: only files older than any write can be.
      await this.sweeper.sweepPartials(dir, { longestWriteMs: this.options.operationTimeoutMs }).catch(() => undefined);
      file = await fsp.open(temp, 'wx', FILE_MODE);
      const handle = file;
      // Counted after the write, so progress and the figure in a disk-full message are what reached the file.
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer | string>) {
          for await (const data of source) {
            const chunk = typeof data === 'string' ? Buffer.from(data) : data;
            await writeFully(handle, chunk).catch((error: unknown) => {
              writeError = error;
              throw error;
            });
            yield chunk;
          }
        },
        written,
        // The bytes are on disk already; only their count was wanted.
        new Writable({ write: (_chunk, _encoding, done) => done() }),
        { signal: scope.signal },
      );
      await file.sync().catch((error: unknown) => {
        writeError = error; // ENOSPC can surface only at fsync (delayed allocation)
        throw error;
      });
      await file.close();
      file = undefined;
      // The owner and recipients are on disk before the archive appears: an archive is never seen without them.
      // None of the three replaces a file (linkNew): a name another upload holds, or is about to, is refused.
      // One final step per name at a time in this process, so that a sidecar found without its archive is one left
      // behind (the archive deleted by hand, or a crash), not one another upload of this service is about to use.
      await oneAtATime(target, async () => {
        const sidecars: Array<[string, string, string]> = [];
        if (options.owner !== undefined) sidecars.push([ownerSidecarName(key), `${options.owner}\n`, 'owner']);
        if (options.recipients?.length) sidecars.push([recipientsSidecarName(key), `${formatRecipients(options.recipients, '\n')}\n`, 'recipients']);
        for (const [sidecar, text, what] of sidecars) {
          if (await this.writeSidecar(dir, key, sidecar, text, what, 'new')) sidecarsWritten.push(sidecar);
        }
        await this.linkNew(temp, target, dir, key);
        sidecarsWritten = [];
      });
      await syncFolderBestEffort(dir);
      const stat = await fsp.stat(target);
      this.logger.log(`${this.kindLabel} upload of ${key} done: ${formatBytes(stat.size)} in ${formatDuration(Date.now() - started)}`);
      return { key, size: stat.size, lastModified: new Date(stat.mtimeMs) };
    } catch (error) {
      if (!body.destroyed) body.destroy();
      await file?.close().catch(() => undefined);
      await fsp.rm(temp, { force: true }).catch(() => undefined);
      // Sidecars whose archive never appeared, which this upload created.
      for (const sidecar of sidecarsWritten) await fsp.rm(path.join(dir, sidecar), { force: true }).catch(() => undefined);
      if (error instanceof ObjectExists) throw error;
      // A failed write is reported as what it was (ENOSPC, EIO...), even when the pipeline, torn down
      // by it, rejects with an AbortError, and even if the caller cancelled meanwhile.
      if (writeError !== undefined) {
        const free = await this.disk.available(dir).catch(() => undefined);
        throw this.failure(writeError, `write '${key}' to`, dir, { written: written.bytes, free });
      }
      if (scope.aborted) throw scope.reason;
      if (sourceError !== undefined) throw sourceError;
      throw this.failure(error, `write '${key}' to`, dir);
    } finally {
      partial.release();
      scope.dispose();
    }
  }

  async download(key: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    assertObjectKey(key);
    const offset = options.offset ?? 0;
    options.signal?.throwIfAborted();
    const dir = await this.folder();
    let file: fsp.FileHandle;
    try {
      file = await fsp.open(path.join(dir, key), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(this.target, key, dir);
      throw this.failure(error, `read '${key}' from`, dir);
    }
    const stat = await file.stat().catch(async (error: unknown) => {
      await file.close();
      throw this.failure(error, `read '${key}' from`, dir);
    });
    if (!stat.isFile()) {
      await file.close();
      throw notFound(this.target, key, dir);
    }
    try {
      assertDownloadOffset(key, offset, stat.size);
    } catch (error) {
      await file.close();
      throw error;
    }
    // Reading through the open handle: a concurrent replace or delete does not change what is read.
    const scope = new OperationScope(`${this.kindLabel} download of '${key}'`, this.options.operationTimeoutMs, options.signal);
    const counter = byteCounter(options.onProgress);
    const source = file.createReadStream({ start: offset });
    const onAbort = () => counter.destroy(scope.reason instanceof Error ? scope.reason : new Error('Download cancelled'));
    scope.signal.addEventListener('abort', onAbort, { once: true });
    // As in guardedDownloadBody: a cancel before the caller consumes the body must not become an
    // uncaught 'error'; the error stays on the stream for the consumer that comes.
    counter.on('error', () => undefined);
    source.on('error', (error) => counter.destroy(this.failure(error, `read '${key}' from`, dir) as Error));
    counter.once('close', () => {
      scope.signal.removeEventListener('abort', onAbort);
      scope.dispose();
      if (!source.destroyed) source.destroy();
    });
    source.pipe(counter);
    return { body: counter, size: stat.size - offset };
  }

  async list(prefix = ''): Promise<StoredObject[]> {
    assertKeyPrefix(prefix);
    const dir = await this.folder();
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.failure(error, 'list', dir);
    }
    const objects: StoredObject[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || PARTIAL_NAME.test(entry.name) || OWNER_SIDECAR_NAME.test(entry.name) || RECIPIENTS_SIDECAR_NAME.test(entry.name)) continue;
      if (!entry.name.startsWith(prefix)) continue;
      const stored = await this.statObject(dir, entry.name);
      if (stored) objects.push(stored);
    }
    return objects;
  }

  async head(key: string): Promise<StoredObject | undefined> {
    assertObjectKey(key);
    const dir = await this.folder();
    const stored = await this.statObject(dir, key);
    if (stored) {
      stored.owner = await this.readOwner(dir, key);
      stored.recipients = parseRecipients(await this.readSidecar(dir, key, recipientsSidecarName(key), 'recipients', 8192));
    }
    return stored;
  }

  async owners(objects: StoredObject[]): Promise<Map<string, string | null>> {
    const dir = await this.folder();
    const owners = await mapConcurrently(objects, OWNER_READ_CONCURRENCY, async (object) => [object.key, await this.readOwner(dir, object.key)] as const);
    return new Map(owners);
  }

  /** A folder has no object lock: nothing in it is kept by a date. */
  async locks(objects: StoredObject[]): Promise<Map<string, ObjectLock | null>> {
    return new Map(objects.map((object) => [object.key, null]));
  }

  async recipients(objects: StoredObject[]): Promise<Map<string, string[] | null>> {
    const dir = await this.folder();
    const found = await mapConcurrently(
      objects,
      OWNER_READ_CONCURRENCY,
      async (object) => [object.key, parseRecipients(await this.readSidecar(dir, object.key, recipientsSidecarName(object.key), 'recipients', 8192))] as const,
    );
    return new Map(found);
  }

  /** Rewrites the sidecar through a temporary file (fsynced, renamed), so it is always whole. */
  async setOwner(key: string, owner: string): Promise<void> {
    assertObjectKey(key);
    const dir = await this.folder();
    if (!(await this.statObject(dir, key))) throw notFound(this.target, key, dir);
    await this.writeSidecar(dir, key, ownerSidecarName(key), `${owner}\n`, 'owner');
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.unlinkIn(await this.folder(), key);
  }

  /**
   * The archive first, then its sidecars: a crash in between leaves an orphan marker, never an archive
   * without its owner. The owner marker last: it is what proves an orphan recipients marker ours at start.
   */
  private async unlinkIn(dir: string, key: string): Promise<void> {
    for (const name of [key, recipientsSidecarName(key), ownerSidecarName(key)]) {
      try {
        await fsp.unlink(path.join(dir, name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw this.failure(error, `delete '${name}' from`, dir);
      }
    }
  }

  /**
   * Writes a sidecar of `key` (`.<key>.owner`, `.<key>.recipients`) durably: a temporary file named like
   * an upload's (swept like one when a crash leaves it), fsynced, renamed over the sidecar, and the folder fsynced.
   */
  /** `new`: refuses (ObjectExists) when the sidecar exists, as an upload's must; `replace`: setOwner's change of owner. */
  private async writeSidecar(dir: string, key: string, sidecar: string, text: string, what: string, mode: 'new' | 'replace' = 'replace'): Promise<boolean> {
    // Named `.<key>.owner.<hex>.partial`: the sidecar's name with the temporary suffix.
    const partial = this.sweeper.partialFile(dir, sidecar.slice(1));
    const temp = partial.path;
    try {
      await fsp.writeFile(temp, text, { mode: FILE_MODE, flag: 'wx', flush: true });
      if (mode === 'new') await this.linkNew(temp, path.join(dir, sidecar), dir, key);
      else await fsp.rename(temp, path.join(dir, sidecar));
      await syncFolderBestEffort(dir);
      return true;
    } catch (error) {
      await fsp.rm(temp, { force: true }).catch(() => undefined);
      // The same text, left by an archive of this name that is gone (deleted by hand): it says what the new one
      // needs said, so it stays and is used. It is not this upload's, so a failed upload leaves it as it was.
      if (error instanceof ObjectExists && (await this.sameText(path.join(dir, sidecar), text)) && !(await this.exists(path.join(dir, key)))) {
        return false;
      }
      if (error instanceof ObjectExists) throw error;
      throw this.failure(error, `record the ${what} of '${key}' in`, dir);
    } finally {
      partial.release();
    }
  }

  private async sameText(file: string, text: string): Promise<boolean> {
    return fsp.readFile(file, 'utf8').then(
      (found) => found === text,
      () => false,
    );
  }

  private async exists(file: string): Promise<boolean> {
    return fsp.lstat(file).then(
      () => true,
      () => false,
    );
  }

  /** Gives the finished `temp` its final name without ever replacing a file there (placeWithoutReplacing): ObjectExists when it is taken. */
  private async linkNew(temp: string, final: string, dir: string, key: string): Promise<void> {
    if (!(await placeWithoutReplacing(temp, final))) throw new ObjectExists(this.target, key, `the backup folder ${dir}`);
  }

  /** The owner in `.<key>.owner`: null without a sidecar, UNREADABLE_OWNER when it holds no id. */
  private async readOwner(dir: string, key: string): Promise<string | null> {
    return parseOwner(await this.readSidecar(dir, key, ownerSidecarName(key), 'owner', 128));
  }

  /** The start of a sidecar's text (enough for a few dozen recipients), undefined when there is none. */
  private async readSidecar(dir: string, key: string, sidecar: string, what: string, maxBytes: number): Promise<string | undefined> {
    try {
      const handle = await fsp.open(path.join(dir, sidecar), 'r');
      try {
        const buffer = Buffer.alloc(maxBytes);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        return buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.failure(error, `read the ${what} of '${key}' in`, dir);
    }
  }

  async deleteMany(keys: string[]): Promise<DeleteManyResult> {
    const result: DeleteManyResult = { deleted: [], failed: [], locked: [] };
    // One folder for the whole call, even if the folder's setting changes meanwhile.
    const dir = await this.folder();
    for (const key of new Set(keys)) {
      const problem = objectKeyProblem(key);
      if (problem) {
        result.failed.push({ key, message: `Invalid key: ${problem}` });
        continue;
      }
      try {
        await this.unlinkIn(dir, key);
        result.deleted.push(key);
      } catch (error) {
        result.failed.push({ key, message: error instanceof Error ? error.message : String(error) });
      }
    }
    if (result.failed.length > 0)
      this.logger.warn(
        `${this.kindLabel} delete: ${result.failed.length} of ${keys.length} files could not be deleted (first: ${result.failed[0].key}: ${result.failed[0].message})`,
      );
    return result;
  }

  /** The folder always has a value (local_backup_dir's default is DATA_DIR/backups); whether it is usable shows when it is used. */
  async missingConfiguration(): Promise<string | undefined> {
    return undefined;
  }

  async testConnection(): Promise<ConnectionTestResult> {
    const started = Date.now();
    const checks: ConnectionCheck[] = [];
    let dir = '';
    const done = (): ConnectionTestResult => ({ target: this.target, ok: checks.every((c) => c.ok), location: dir, checks, durationMs: Date.now() - started });
    try {
      dir = await this.folder();
      checks.push({ name: 'configuration', ok: true, message: `${this.folderSetting} is ${dir}` });
    } catch (error) {
      checks.push({
        name: 'configuration',
        ok: false,
        message: error instanceof DomainError ? error.message : `The settings of target '${this.target}' could not be read; the service log has the details`,
      });
      return done();
    }
    try {
      const existed = await this.ensureFolder(dir);
      await bounded('Checking access to the folder', dir, fsp.access(dir, fs.constants.W_OK | fs.constants.R_OK));
      const space = this.spaceCheck(dir, await this.disk.available(dir));
      // Too small for the next backup fails the folder check; the probes below still run.
      checks.push({ name: 'folder', ok: space.ok, message: `${existed ? 'The folder exists' : 'Created the folder'}; ${space.message}` });
    } catch (error) {
      checks.push({ name: 'folder', ok: false, message: (this.failure(error, 'use', dir) as Error).message });
      return done();
    }
    const probeKey = `${CONNECTION_TEST_PREFIX}${randomBytes(8).toString('hex')}`;
    const content = probeContent();
    try {
      await bounded('Writing the probe file', dir, this.upload(probeKey, Readable.from([content])));
      checks.push({ name: 'write', ok: true, message: `Wrote the probe file ${probeKey} (through a temporary file, fsynced and renamed)` });
    } catch (error) {
      checks.push({ name: 'write', ok: false, message: (error as Error).message });
      return done();
    }
    try {
      const read = await bounded('Reading the probe file', dir, fsp.readFile(path.join(dir, probeKey)));
      const same = read.equals(content);
      checks.push({
        name: 'read',
        ok: same,
        message: same ? 'Read the probe file back unchanged' : `The probe file ${probeKey} came back different: check the disk`,
      });
    } catch (error) {
      checks.push({ name: 'read', ok: false, message: (this.failure(error, `read '${probeKey}' from`, dir) as Error).message });
    }
    try {
      await bounded('Deleting the probe file', dir, this.delete(probeKey));
      checks.push({ name: 'delete', ok: true, message: 'Deleted the probe file' });
    } catch (error) {
      checks.push({ name: 'delete', ok: false, message: `${(error as Error).message}. Remove ${probeKey} by hand` });
    }
    return done();
  }

  private async folder(): Promise<string> {
    return this.loadFolder();
  }

  /**
   * Whether the folder has room for the next backup, by the same estimate the backup's own space
   * check makes (the databases' size now, plus the snapshots when DATA_DIR is on the same disk).
   */
  private spaceCheck(dir: string, free: number): { ok: boolean; message: string } {
    const live = liveDatabaseBytes(this.registry.list());
    const need = backupSpaceNeeds(this.target, this.registry.dataDir, live, dir)[0];
    if (free >= need.bytes) {
      return {
        ok: true,
        message: `${formatBytes(free)} free; the next backup needs about ${formatBytes(need.bytes)} for ${need.purpose} (the databases are ${formatBytes(live)})`,
      };
    }
    return {
      ok: false,
      message: `Too little free space: the next backup needs about ${formatBytes(need.bytes)} for ${need.purpose} in ${need.dir} (the databases are ${formatBytes(live)}), only ${formatBytes(free)} is free. Free space, or point ${this.folderSetting} at a larger disk`,
    };
  }

  /**
   * Creates the folder when missing; true when it already existed. Refuses pseudo file systems (a
   * folder under /proc) and bounds every step in time, so no request can hang on it.
   */
  private async ensureFolder(dir: string): Promise<boolean> {
    await assertOnDisk(dir, this.folderSetting);
    const made = await makeFolder(dir);
    return !made;
  }

  private async statObject(dir: string, name: string): Promise<StoredObject | undefined> {
    try {
      const stat = await fsp.stat(path.join(dir, name));
      return stat.isFile() ? { key: name, size: stat.size, lastModified: new Date(stat.mtimeMs) } : undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw this.failure(error, `look up '${name}' in`, dir);
    }
  }

  /** File-system errors in words a user can act on. */
  private failure(error: unknown, action: string, dir: string, facts?: WriteFacts): unknown {
    // The built-in local's folder is local_backup_dir; an added target's is its own path field.
    const setting = this.target === 'local' ? undefined : `the path of target ${this.target} (PATCH /api/targets/${this.target})`;
    const mapped = folderError(error, action, dir, { facts, setting, target: this.target });
    if (mapped.code === ErrorCode.StorageUnavailable && !(error instanceof DomainError))
      this.logger.warn(`${mapped.message}: ${(error as Error)?.message ?? String(error)}`);
    return mapped;
  }
}

function notFound(target: string, key: string, dir: string): DomainError {
  return new DomainError(ErrorCode.ObjectNotFound, `'${key}' does not exist in the backup folder ${dir}`, { target, key });
}

async function writeFully(file: fsp.FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/** Makes a rename durable: fsync of the folder, which some file systems refuse (the rename itself is atomic). */
async function syncFolderBestEffort(dir: string): Promise<void> {
  await fsyncPath(dir).catch(() => undefined);
}
