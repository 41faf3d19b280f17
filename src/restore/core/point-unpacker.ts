import { Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { parseBackupName } from '../../archive-format/backup-filename.js';
import type { BackupMetadata } from '../../archive-format/backup-metadata.js';
import { chainTooLong, type IncrementalMetadata, LONGEST_CHAIN, pagesInRanges } from '../../archive-format/incremental-metadata.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { applyIncrementChain, type IncrementToApply } from '../../incremental/increment-chain-applier.js';
import { IncrementChainError } from '../../incremental/increment-chain-error.js';
import { RestoreFaults } from '../apply/restore-faults.js';
import { archiveInvalid, isArchiveInvalid } from '../archive-reader/archive-problem.js';
import type { ExtractedDatabase } from '../archive-reader/archive-extractor.js';
import { type ArchiveToUnpack, ArchiveUnpacker, type UnpackedArchive, type UnpackOptions } from './archive-unpacker.js';

/**
 * An increment to restore or verify (`sentinel-incremental-…`), and how to open the other backups of the same
 * target: the links of its chain, each opened as the point itself is (its keys, its made-here check).
 */
export interface IncrementToUnpack extends ArchiveToUnpack {
  /** Another backup of the point's target by name; opening one that is not there fails with BACKUP_NOT_FOUND. */
  link(name: string): ArchiveToUnpack;
}

/** A restorable point: a full backup's archive, or an increment with its chain's links. */
export type PointToUnpack = ArchiveToUnpack | IncrementToUnpack;

export function isIncrementToUnpack(point: PointToUnpack): point is IncrementToUnpack {
  return 'link' in point && typeof point.link === 'function';
}

/** Whether `name` is an increment's (`sentinel-incremental-…`): it is restored from its chain. */
export function isIncrementName(name: string): boolean {
  return parseBackupName(name)?.kind === 'incremental';
}

/**
 * Unpacks a restorable point into a work folder, as ArchiveUnpacker unpacks a full archive, with the same result:
 * the folder of `<name>.db` files the point holds, checked against its metadata's checksums. A full archive is
 * ArchiveUnpacker's. An increment is rebuilt from its chain (docs/incremental-backups.md, "Restoring a point"):
 *
 * 1. the chain is resolved from the point back to its full backup: each increment is unpacked (strictly, its pages
 *    files checked for length and SHA-256 as they are read) into a scratch folder of its own, and its metadata's
 *    `parent` names the next link, which must be in the same target, older, and of the same `base`;
 * 2. the full backup (`base`, named by the point's metadata) is unpacked with the caller's purpose (a staging folder
 *    for a restore: durable, fail-fast) and room, its checksums checked as for any full restore; it is read alongside
 *    step 1 (started once the point itself is unpacked), and stopped and removed when a link fails;
 * 3. the increments' pages are written onto its databases in order by the engine's chain applier
 *    (applyIncrementChain), which checks each pages file again before a page is written and compares each
 *    rebuilt database with the point's whole-file checksum;
 * 4. the scratch folders are removed; the rebuilt folder is then the caller's, exactly as an unpacked full archive:
 *    RestoreStager runs PRAGMA integrity_check and writes the journal, ArchiveVerification judges each database.
 *
 * A missing or damaged link stops the rebuild with ARCHIVE_INVALID (check `chain`, or the failed check of the link)
 * naming the link (a link's failure before the full backup's); nothing is left behind, and no page is written. The points made before a damaged link do not need it and still restore.
 */
@Injectable()
export class PointUnpacker {
  private readonly logger = new Logger('Restore');

  constructor(
    private readonly unpacker: ArchiveUnpacker,
    private readonly faults: RestoreFaults,
  ) {}

  async unpack(point: PointToUnpack, options: UnpackOptions): Promise<UnpackedArchive> {
    if (!isIncrementToUnpack(point)) return this.unpacker.unpack(point, options);
    const progress = chainProgress(options);
    const started = performance.now();
    // Newest first, as the chain is walked; applied oldest first.
    const increments: UnpackedArchive[] = [];
    const names: string[] = [];
    // The full backup is read while the rest of the chain is (its name and the room it needs are in the point's
    // metadata): a chain's staging costs a full one's plus the increments' pages, not plus their reads one after
    // another (issue 19). A link that fails stops it (baseStop) and its folder is removed, as before.
    const baseStop = new AbortController();
    let baseRead: Promise<UnpackedArchive> | undefined;
    const readBase = (name: string, newest: IncrementalMetadata): Promise<UnpackedArchive> =>
      this.unpackLink(point, point.link(name), {
        ...options,
        kind: 'full',
        signal: AbortSignal.any([options.signal, baseStop.signal]),
        // The staging folder's databases grow from the full backup's sizes to the point's: the room is asked for the larger.
        room: (bytes, metadata) => options.room(bytes, metadata && largestSizes(metadata, newest)),
        ...progress.forLink(),
      });
    let base: UnpackedArchive | undefined;
    let linksRead: number;
    try {
      let link: ArchiveToUnpack = point;
      for (;;) {
        const current = link;
        const unpacked = await this.unpackLink(point, current, {
          purpose: 'verification',
          kind: 'incremental',
          signal: options.signal,
          // The pages are what an increment's scratch folder holds; nothing to check before they are known.
          room: (_bytes, metadata) =>
            metadata && { bytes: pagesBytes(metadata as IncrementalMetadata), purpose: `the pages of ${current.name}, a link of the chain of ${point.name}` },
          ...progress.forLink(),
        });
        increments.push(unpacked);
        names.push(current.name);
        if (options.purpose === 'staging') this.faults.reached(`stage:chain-link-${increments.length}`);
        const metadata = unpacked.metadata as IncrementalMetadata;
        if (!baseRead && parseBackupName(metadata.base)?.kind === 'full') {
          baseRead = readBase(metadata.base, metadata);
          // Awaited below, once the chain is walked; a link's failure comes first.
          baseRead.catch(() => undefined);
        }
        const next = this.nextLink(point, current.name, metadata, increments[0].metadata as IncrementalMetadata, increments.length);
        link = point.link(next);
        if (next === metadata.base) break;
      }
      linksRead = performance.now();
      base = await (baseRead ?? readBase(link.name, increments[0].metadata as IncrementalMetadata));
    } catch (error) {
      baseStop.abort(error);
      await (await baseRead?.catch(() => undefined))?.discard();
      for (const unpacked of increments) await unpacked.discard();
      throw error;
    }
    const baseReady = performance.now();
    try {
      const baseName = (increments[0].metadata as IncrementalMetadata).base;
      this.requireIntactBase(point, baseName, base);
      const chain: IncrementToApply[] = increments
        .map((unpacked, i) => ({
          name: names[i],
          metadata: unpacked.metadata as IncrementalMetadata,
          pagesFiles: new Map((unpacked.pages ?? []).map((pages) => [pages.db.name, pages.path])),
        }))
        .reverse();
      const rebuilt = await applyIncrementChain(base.dir, chain, { durable: options.purpose === 'staging', signal: options.signal }).catch((error: unknown) => {
        throw options.signal.aborted ? options.signal.reason : chainProblem(error);
      });
      if (options.purpose === 'staging') this.faults.reached('stage:chain-applied');
      const seconds = (from: number, to: number) => `${((to - from) / 1000).toFixed(2)} s`;
      // Where a chain's rebuild spends its time (issue 19: its staging against a full backup's).
      this.logger.log(
        `Rebuilt ${point.name} from ${baseName} and ${increments.length} increments: the increments read in ${seconds(started, linksRead)}, ` +
          `the full backup (read alongside) ready at ${seconds(started, baseReady)}, the pages applied and the databases' checksums checked in ${seconds(baseReady, performance.now())}`,
      );
      const metadata = increments[0].metadata as IncrementalMetadata;
      const databases: ExtractedDatabase[] = metadata.databases.map((entry) => {
        const file = rebuilt.find((db) => db.name === entry.name);
        if (!file) throw archiveInvalid('chain', entry.filename, `${entry.filename} of ${point.name} was not rebuilt from its chain`);
        return {
          name: entry.name,
          filename: entry.filename,
          path: file.file,
          sizeBytes: file.bytes,
          expectedChecksum: entry.checksum,
          sha256: file.sha256,
          checksumOk: `sha256:${file.sha256}` === entry.checksum && file.bytes === entry.size_bytes,
        };
      });
      return { metadata, databases, stored: increments[0].stored, dir: base.dir, discard: base.discard };
    } catch (error) {
      await base.discard();
      throw error;
    } finally {
      for (const unpacked of increments) await unpacked.discard();
    }
  }

  /** The link after `name` (its parent), checked: of the same chain, made before it, and not past the longest chain. */
  private nextLink(point: IncrementToUnpack, name: string, metadata: IncrementalMetadata, newest: IncrementalMetadata, links: number): string {
    const broken = (why: string) =>
      archiveInvalid(
        'chain',
        name,
        `${point.name} cannot be restored: its chain is broken at ${name}: ${why}. Restore an older point (GET /api/backups/{target} lists them)`,
      );
    if (metadata.base !== newest.base) throw broken(`it belongs to the chain of ${metadata.base}, not of ${newest.base}`);
    const parent = parseBackupName(metadata.parent);
    const own = parseBackupName(name);
    if (!parent || (own && parent.at.getTime() >= own.at.getTime())) throw broken(`its parent ${metadata.parent} is not an older backup`);
    if (parent.kind === 'full' && metadata.parent !== metadata.base)
      throw broken(`its parent ${metadata.parent} is a full backup other than its base ${metadata.base}`);
    // No policy makes a longer chain (full_every): a longer one is a loop of parents, refused before its next link is read.
    if (chainTooLong(links, metadata.parent, metadata.base)) throw broken(`the chain is longer than ${LONGEST_CHAIN} increments`);
    return metadata.parent;
  }

  /** Unpacks one link, its failures named as the link's: a link that is not there, or one that fails a check. */
  private async unpackLink(point: IncrementToUnpack, link: ArchiveToUnpack, options: UnpackOptions): Promise<UnpackedArchive> {
    try {
      return await this.unpacker.unpack(link, options);
    } catch (error) {
      if (options.signal.aborted || link === point) throw error;
      if (error instanceof DomainError && (error.code === ErrorCode.BackupNotFound || error.code === ErrorCode.ObjectNotFound)) {
        throw archiveInvalid(
          'chain',
          link.name,
          `${point.name} cannot be restored: its chain needs ${link.name}, which is not in this target (deleted or never copied here). ` +
            (isIncrementName(link.name)
              ? `The points made before ${link.name} do not need it and still restore`
              : 'Restore another chain (a full backup, or one of its increments)'),
        );
      }
      if (isArchiveInvalid(error)) {
        throw new DomainError(
          ErrorCode.ArchiveInvalid,
          `${point.name} cannot be restored: ${link.name}, a link of its chain, is damaged: ${error.message}` +
            (isIncrementName(link.name) ? `. The points made before ${link.name} do not need it and still restore` : ''),
          { ...error.details, link: link.name },
        );
      }
      throw error;
    }
  }

  /** A full backup whose databases failed their checks (verification's collect mode) cannot carry a chain: refused, naming it. */
  private requireIntactBase(point: IncrementToUnpack, name: string, base: UnpackedArchive): void {
    if (base.databaseSetProblem)
      throw archiveInvalid('database-set', name, `${point.name} cannot be restored: its full backup ${name}: ${base.databaseSetProblem}`);
    const bad = base.databases.find((db) => !db.checksumOk);
    if (bad) {
      throw archiveInvalid(
        'checksum',
        name,
        `${point.name} cannot be restored: ${bad.filename} of its full backup ${name} does not match its checksum (expected ${bad.expectedChecksum}, got sha256:${bad.sha256})`,
      );
    }
  }
}

/** The engine's refusal of a chain as an archive problem of the link it names (check `chain`), as verification reports it. */
function chainProblem(error: unknown): unknown {
  if (error instanceof IncrementChainError) return archiveInvalid('chain', error.increment, error.message);
  return error;
}

/** The full backup's metadata with each database's size the larger of its own and the point's. */
function largestSizes(base: BackupMetadata, point: IncrementalMetadata): BackupMetadata {
  return {
    ...base,
    databases: base.databases.map((db) => ({ ...db, size_bytes: Math.max(db.size_bytes, point.databases.find((p) => p.name === db.name)?.size_bytes ?? 0) })),
  };
}

/** The bytes of pages an increment's metadata lists. */
function pagesBytes(metadata: IncrementalMetadata): number {
  return metadata.databases.reduce((sum, db) => sum + pagesInRanges(db.changed_pages) * db.page_size, 0);
}

/**
 * A chain's progress as one archive's: the links' sizes added up as they are opened, and their bytes read added
 * up (the full backup is read alongside the increments).
 */
function chainProgress(options: UnpackOptions) {
  let opened = 0;
  const reads: number[] = [];
  return {
    forLink(): Pick<UnpackOptions, 'onOpened' | 'onProgress'> {
      const link = reads.push(0) - 1;
      return {
        onOpened: (bytes) => {
          opened += bytes;
          options.onOpened?.(opened);
        },
        onProgress: (bytes) => {
          reads[link] = bytes;
          options.onProgress?.(reads.reduce((sum, read) => sum + read, 0));
        },
      };
    },
  };
}
