import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackupTarget } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { parseBackupName } from '../archive-format/backup-filename.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { formatBytes } from '../common/format.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';
import { ArchiveProvenance, type WrittenArchive } from '../encryption/archive-provenance.store.js';
import { type ObjectStorage, objectVersion, type StoredObject } from '../storage/object-storage.js';
import { ReplicaNameTaken } from './replica-name-taken.error.js';

/** One archive as it arrived on the replica, checked. */
export interface CopiedArchive {
  filename: string;
  sizeBytes: number;
  sha256: string;
  /** True when nothing was written: the replica held a byte-identical archive of that name already (now recorded). */
  present?: boolean;
}

/** A pass-through that hashes (SHA-256) and counts what goes through it. */
class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

type ArchiveChain = Pick<WrittenArchive, 'kind' | 'base' | 'parent'>;

/** The chain a copy's record carries: the source record's, the kind from the name when the source has no record. */
function chainOf(filename: string, record: WrittenArchive | undefined): ArchiveChain {
  const kind = record?.kind ?? parseBackupName(filename)?.kind;
  return {
    ...(kind ? { kind } : {}),
    ...(record?.base ? { base: record.base } : {}),
    ...(record?.parent ? { parent: record.parent } : {}),
  };
}

/** SHA-256 and length of a whole stream, read to its end and dropped chunk by chunk. */
async function hashOf(body: Readable, signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
  const hashing = new HashingStream();
  await pipeline(
    body,
    hashing,
    async (source: AsyncIterable<Buffer>) => {
      for await (const _chunk of source) void _chunk;
    },
    { signal },
  );
  return { sha256: hashing.digest(), bytes: hashing.bytes };
}

/**
 * Copies one archive from a source target to a replica, streamed through the service (a download piped
 * into an upload: never the whole archive in memory, never a second snapshot), byte for byte: an encrypted
 * archive stays the same ciphertext. The copy carries what makes a backup this installation's own (the
 * owner, and the recipients of an encrypted one), so the replica's rotation manages it, and is recorded as
 * made here (ArchiveProvenance), so a restore from the replica checks its hash like the original's.
 *
 * Checked on arrival: the bytes read from the source are hashed as they go through, and must match the
 * source's own record when there is one (a damaged source archive is not spread); the stored size must
 * equal the source's; and the replica is read back and hashed. Reading back is what proves what was
 * written: a store's ETag is no content hash for multipart uploads and a folder has none, and an upload's
 * success says only that the store took bytes, not which. It costs a second transfer of the archive, a
 * price paid once per copy, off the backup's path. Any check that fails deletes the copy: the replica
 * keeps nothing that was not proven.
 *
 * An archive of that name already in the replica is never overwritten nor deleted: the service cannot prove
 * it made it as a copy of this archive (the planner hands over only names without a proven copy: isRecordedCopy),
 * and it may be the only copy of something. When it is byte-identical to the source's (size and SHA-256) it is
 * the copy, and is recorded as such; otherwise that copy fails (ReplicaNameTaken) and the object stays as it is.
 * Its SHA-256 is read from the replica's record when that record still names the object stored (the service wrote
 * it there: its own backup of that name, or a copy of an earlier archive of that name), else by reading it.
 *
 * The copy's record carries the source record's chain (kind, base, parent): the replica's list, rotation and
 * DELETE then see the same chain as the source's (the planner copies an increment only after its chain).
 */
@Injectable()
export class ArchiveCopier {
  constructor(
    private readonly identity: InstallationIdentity,
    private readonly provenance: ArchiveProvenance,
    private readonly clock: Clock,
  ) {}

  async copy(
    filename: string,
    from: { id: BackupTarget; storage: ObjectStorage },
    to: { id: BackupTarget; storage: ObjectStorage },
    options: { signal: AbortSignal; onProgress?: (bytes: number) => void; onUpload?: () => Promise<void> },
  ): Promise<CopiedArchive> {
    const source = await from.storage.head(filename);
    if (!source) {
      throw new DomainError(
        ErrorCode.BackupNotFound,
        `${filename} is no longer in '${from.id}' (rotated or deleted since the list was read): nothing to copy`,
        {
          filename,
        },
      );
    }
    const record = await this.provenance.find(from.id, filename);
    const recipients = record?.recipients ?? source.recipients ?? null;
    const chain = chainOf(filename, record);
    const existing = await to.storage.head(filename);
    if (existing) {
      return this.compareExisting(filename, from, to, { size: source.size, sha256: record?.sha256, recipients, chain }, existing, options.signal);
    }
    // Told before the first byte goes: only from here on can the replica hold a partial copy of ours under this name.
    await options.onUpload?.();
    const { body, size } = await from.storage.download(filename, { signal: options.signal });
    const reading = new HashingStream();
    // The download's errors reach the upload through the pipe: the upload then fails and stores nothing.
    const piping = pipeline(body, reading).catch(() => undefined);
    let stored;
    try {
      stored = await to.storage.upload(filename, reading, {
        signal: options.signal,
        onProgress: options.onProgress,
        maxBytes: size,
        owner: this.identity.id,
        ...(recipients && recipients.length > 0 ? { recipients } : {}),
      });
    } finally {
      reading.destroy();
      await piping;
    }
    try {
      const read = { sha256: reading.digest(), bytes: reading.bytes };
      if (read.bytes !== size || stored.size !== size) {
        throw this.mismatch(
          filename,
          from.id,
          to.id,
          `${formatBytes(size)} in '${from.id}', ${read.bytes} bytes read, ${stored.size} bytes stored in '${to.id}'`,
        );
      }
      if (record && record.sha256 !== read.sha256) {
        throw new DomainError(
          ErrorCode.ReplicationFailed,
          `${filename} in '${from.id}' no longer has the SHA-256 recorded when it was made (${record.sha256.slice(0, 12)}…, read ${read.sha256.slice(0, 12)}…): ` +
            `it is damaged there and was not copied to '${to.id}'. Verify it (POST /api/backups/${from.id}/${filename}/verify) and restore from another copy`,
          { filename },
        );
      }
      const back = await to.storage.download(filename, { signal: options.signal });
      const written = await hashOf(back.body, options.signal);
      if (written.bytes !== size || written.sha256 !== read.sha256) {
        throw this.mismatch(
          filename,
          from.id,
          to.id,
          `read back ${written.bytes} bytes with SHA-256 ${written.sha256.slice(0, 12)}…, sent ${size} bytes with ${read.sha256.slice(0, 12)}…`,
        );
      }
      await this.provenance.record({
        target: to.id,
        filename,
        sha256: read.sha256,
        sizeBytes: size,
        recipients,
        createdAt: this.clock.now(),
        version: objectVersion(stored),
        ...chain,
      });
      return { filename, sizeBytes: size, sha256: read.sha256 };
    } catch (error) {
      // Ours, just written under a name the replica did not have: nothing unproven stays there.
      await to.storage.delete(filename).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The replica holds an archive of that name that is no proven copy: counted as the copy (and recorded) when
   * its bytes are the source's, otherwise left untouched and this copy fails.
   */
  private async compareExisting(
    filename: string,
    from: { id: BackupTarget; storage: ObjectStorage },
    to: { id: BackupTarget; storage: ObjectStorage },
    source: { size: number; sha256: string | undefined; recipients: string[] | null; chain: ArchiveChain },
    existing: StoredObject,
    signal: AbortSignal,
  ): Promise<CopiedArchive> {
    let theirs: { sha256: string; bytes: number } | undefined;
    let ours: string | undefined;
    const recorded = await this.provenance.find(to.id, filename);
    const written = recorded?.version !== undefined && recorded.version === objectVersion(existing) && recorded.sizeBytes === existing.size;
    if (existing.size === source.size) {
      theirs = written ? { sha256: recorded.sha256, bytes: recorded.sizeBytes } : await hashOf((await to.storage.download(filename, { signal })).body, signal);
      // Without a record of the source (an earlier version's backup), its bytes are read to compare.
      ours = source.sha256 ?? (await hashOf((await from.storage.download(filename, { signal })).body, signal)).sha256;
    }
    if (!theirs || theirs.bytes !== source.size || theirs.sha256 !== ours) {
      throw new ReplicaNameTaken(
        `'${to.id}' already holds ${filename} with other bytes than the one in '${from.id}' ` +
          `(${formatBytes(existing.size)}${theirs ? `, SHA-256 ${theirs.sha256.slice(0, 12)}…` : ''} there; ${formatBytes(source.size)}${ours ? `, SHA-256 ${ours.slice(0, 12)}…` : ''} in '${from.id}'), ` +
          (written
            ? `which this service wrote there itself (its own backup of that name, or a copy of an earlier archive of that name): it was left as it is and ${filename} was not copied. `
            : `and this service cannot prove it made it: it was left as it is and ${filename} was not copied. `) +
          `If it is not needed, move it out of '${to.id}' and sync again (POST /api/targets/${to.id}/sync)`,
        filename,
      );
    }
    await this.provenance.record({
      target: to.id,
      filename,
      sha256: theirs.sha256,
      sizeBytes: theirs.bytes,
      recipients: source.recipients,
      createdAt: this.clock.now(),
      version: objectVersion(existing),
      ...source.chain,
    });
    return { filename, sizeBytes: theirs.bytes, sha256: theirs.sha256, present: true };
  }

  private mismatch(filename: string, from: string, to: string, what: string): DomainError {
    return new DomainError(
      ErrorCode.ReplicationFailed,
      `The copy of ${filename} from '${from}' to '${to}' did not arrive as it left (${what}); it was deleted from '${to}'. The next replication copies it again`,
      { filename },
    );
  }
}
