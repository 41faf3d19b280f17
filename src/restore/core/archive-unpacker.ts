import { Inject, Injectable } from '@nestjs/common';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { BackupMetadata } from '../../archive-format/backup-metadata.js';
import { Clock } from '../../common/clock.js';
import { DiskSpace, type SpaceShortfall, spaceNeed } from '../../common/fs/disk-space.service.js';
import { createWorkFolder } from '../../common/fs/work-folder.js';
import { InstallationIdentity } from '../../common/installation/installation-identity.js';
import { extractArchive, type ReadArchive, type StoredBytes } from '../archive-reader/archive-read-pipeline.js';
import { ARCHIVE_READ_STEPS, type ArchiveKeys, type ArchiveReadStep } from '../archive-reader/archive-read-step.js';
import { compactTimestamp, STAGING_PREFIX, VERIFY_PREFIX } from '../restore-paths.js';
import { DataFolderLayout } from './data-folder-layout.js';

/** An archive to unpack: its name, and how to open it for reading (a stored backup, a file given on a command line). */
export interface ArchiveToUnpack {
  name: string;
  /**
   * Starts reading, once every check that can be made before a download has passed (an encrypted
   * archive's key, whether it was made here). Failing here (a 404, a 422, say) leaves nothing behind.
   */
  open(signal: AbortSignal): Promise<OpenedArchive>;
}

/** An archive opened for reading, and how to read it. */
export interface OpenedArchive {
  body: Readable;
  /** The stored size in bytes. */
  size: number;
  /** The keys to decrypt it with, when it is encrypted (`.tar.gz.age`): supplied by the caller, never stored. */
  keys?: ArchiveKeys;
  /**
   * Asks for the SHA-256 of the bytes as stored, and is called with it once the whole archive has been
   * read and extracted, before the unpack resolves: throwing refuses the archive (the work folder is
   * removed), as for a record of its upload that the stored bytes do not match.
   */
  checkStored?: (stored: Required<StoredBytes>) => void;
}

/** What an unpack is for: it decides the work folder's name and kind, and how strict and durable it is. */
export type UnpackPurpose = 'staging' | 'verification';

/** Free space an unpack needs in DATA_DIR, before the margin; `refusal` words a 507 for its user. */
export interface UnpackRoom {
  bytes: number;
  purpose: string;
  refusal?: (shortfall: SpaceShortfall) => string;
}

export interface UnpackOptions {
  purpose: UnpackPurpose;
  /** The kind of archive expected (ExtractOptions.kind): `full` unless a chain's rebuild reads an increment's pages. */
  kind?: 'full' | 'incremental';
  /**
   * The room the unpack needs, asked twice: once opened, before the work folder is made (no metadata
   * yet: the archive's stored size is all that is known), and once the metadata (the archive's first
   * entry) has been read, before any database byte is written. Undefined: nothing to check at that point.
   */
  room(archiveBytes: number, metadata?: BackupMetadata): Promise<UnpackRoom | undefined> | UnpackRoom | undefined;
  signal: AbortSignal;
  /** The archive's size, once it is open. */
  onOpened?: (archiveBytes: number) => void;
  /** Stored bytes read so far. */
  onProgress?: (bytes: number) => void;
}

/** An archive unpacked into its work folder in DATA_DIR, which the caller now owns. */
export interface UnpackedArchive extends ReadArchive {
  /** The work folder holding the databases. */
  dir: string;
  /** Removes the work folder (the databases in it too). */
  discard(): Promise<void>;
}

/**
 * Unpacks an archive into a new work folder in DATA_DIR, the one procedure staging and verification
 * share: open it, check the free space, make the work folder (with its marker, so a crash leaves
 * nothing the start-up sweep cannot prove is its own), and read it through the reader pipeline
 * (read steps, gunzip, the strict extractor), checking the space again once the metadata is known.
 *
 * - staging: fail-fast (the first problem stops it) and durable (each database fsynced: the files
 *   must outlive a crash until the restore is applied), in `.restore-staging-*`;
 * - verification: collect (a bad checksum or a different database set is recorded and reading goes
 *   on, so each database gets its verdict) and not fsynced (removed right after the checks), in `.restore-verify-*`.
 *
 * Any failure, a cancel through `options.signal` included, stops the read (and with it the download)
 * and removes the work folder before it is thrown: the caller is left with nothing to clean up.
 */
@Injectable()
export class ArchiveUnpacker {
  constructor(
    private readonly layout: DataFolderLayout,
    private readonly disk: DiskSpace,
    private readonly clock: Clock,
    private readonly identity: InstallationIdentity,
    @Inject(ARCHIVE_READ_STEPS) private readonly steps: readonly ArchiveReadStep[],
  ) {}

  async unpack(archive: ArchiveToUnpack, options: UnpackOptions): Promise<UnpackedArchive> {
    const { signal } = options;
    signal.throwIfAborted();
    const { body, size, keys, checkStored } = await archive.open(signal);
    options.onOpened?.(size);
    let dir: string | undefined;
    try {
      // Before a single byte is written.
      await this.ensureRoom(await options.room(size));
      const staging = options.purpose === 'staging';
      dir = await createWorkFolder(
        this.identity,
        this.layout.dataDir,
        `${staging ? STAGING_PREFIX : VERIFY_PREFIX}${compactTimestamp(this.clock.now())}-`,
        staging ? 'restore-staging' : 'restore-verify',
      );
      const folder = dir;
      const extracted = await extractArchive(
        body,
        {
          dir,
          archive: archive.name,
          managed: this.layout.names,
          kind: options.kind ?? 'full',
          mode: staging ? 'fail-fast' : 'collect',
          durable: staging,
          signal,
          onMetadata: async (metadata) => this.ensureRoom(await options.room(size, metadata)),
          onProgress: options.onProgress,
          keys,
          hashStored: checkStored !== undefined,
        },
        this.steps,
      );
      checkStored?.({ bytes: extracted.stored.bytes, sha256: extracted.stored.sha256 ?? '' });
      return { ...extracted, dir: folder, discard: () => removeFolder(folder) };
    } catch (error) {
      if (!body.destroyed) body.destroy();
      if (dir) await removeFolder(dir);
      throw error;
    }
  }

  private async ensureRoom(room: UnpackRoom | undefined): Promise<void> {
    if (!room) return;
    const need = spaceNeed(this.layout.dataDir, room.bytes, room.purpose);
    await this.disk.ensure(need.dir, need.bytes, need.purpose, room.refusal);
  }
}

function removeFolder(dir: string): Promise<void> {
  return fs.promises.rm(dir, { recursive: true, force: true });
}
