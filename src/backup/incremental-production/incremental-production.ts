import { Injectable, Logger } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { BACKUP_NAME_PREFIX, type BackupKind, parseBackupName } from '../../archive-format/backup-filename.js';
import { type IncrementalDatabaseEntry } from '../../archive-format/incremental-metadata.js';
import type { BackupTarget } from '../../common/backup-target.js';
import { Clock } from '../../common/clock.js';
import { AppConfig } from '../../config/app-config.js';
import type { DatabaseVersion } from '../../database/database-change-watch.js';
import type { ManagedDatabase } from '../../database/managed-database.js';
import { ArchiveProvenance } from '../../encryption/archive-provenance.store.js';
import { incrementEntryOf } from '../../incremental/increment-entry.js';
import type { PageChanges } from '../../incremental/page-diff.js';
import { type PageIndex, previousPagesOf } from '../../incremental/page-index.js';
import { PageIndexStore, type PageIndexUpdateDatabase } from '../../incremental/page-index-store.js';
import type { PageSnapshot } from '../../incremental/page-stable-snapshot.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import { TargetDirectory } from '../../targets/target-directory.js';
import { nameSecondUntil } from '../archive-production/backup-names.js';
import type { TarPackerEntry } from '../archive-writer/tar-packer.js';
import { BackupKindDecision, type IncrementalPolicy } from './backup-kind-decision.js';
import { ChainHolds } from './chain-holds.js';
import { PageSnapshots } from './page-snapshots.js';
import { UnchangedDatabases } from './unchanged-databases.js';

const POLICY_OFF: IncrementalPolicy = { enabled: false, full_every: 'daily', max_chain_ratio: 0.5 };

/** How a backup of a target is made, decided before any database is read. */
export type ChainPlan =
  /** Incremental backups off for the target: a full backup from `VACUUM INTO` snapshots, exactly as before them. */
  | { pageStable: false; kind: 'full'; reason: null }
  /**
   * Incremental backups on: page-stable snapshots either way. `kind` incremental extends the chain `index`
   * describes (it may still turn full once the snapshots are compared); full starts a new chain, `reason` says
   * why when an increment was possible in principle.
   */
  | { pageStable: true; kind: 'full'; reason: string | null; logReason?: string }
  | { pageStable: true; kind: 'incremental'; reason: null; index: PageIndex; folder: string; hold: HeldChain };

/** The chain an incremental plan builds on, held against DELETE and rotation (ChainHolds) until `release()`. */
export interface HeldChain {
  links: ReadonlySet<string>;
  release(): void;
}

/**
 * A database at the point being made: its page-stable snapshot (`file` the copy in the scratch folder), or, for an
 * increment, the chain's newest point carried over without reading it when nothing was committed to it since
 * (`file` null, no pages, the index's hashes). `version` is what DatabaseChangeWatch saw before its snapshot.
 */
export type PointDatabase = Omit<PageSnapshot, 'file'> & { file: string | null; version: DatabaseVersion | null };

const NOTHING_CHANGED: PageChanges = { kind: 'changes', changedPages: [], changedCount: 0, share: 0, pagesFile: null };

/** An increment ready to archive: its chain, its databases' entries, and the pages files that follow the metadata. */
export interface IncrementDraft {
  base: string;
  parent: string;
  databases: IncrementalDatabaseEntry[];
  /** `<name>.db.pages` in the scratch folder, in the metadata's order. */
  files: TarPackerEntry[];
}

/** What the chain needs of a stored and recorded backup to become its newest point. */
export interface StoredPoint {
  filename: string;
  size: number;
}

/**
 * The chain side of making a backup of a target (docs/incremental-backups.md): which kind the next backup is
 * (the policy, the request, the page index, the chain's objects in the target), what an increment holds (the
 * pages that differ from the chain's newest point), and the page index once the backup is stored and recorded.
 * Every doubt ends in a full backup with its reason: a lost or wrong index costs one full read, never a wrong
 * backup. The ArchiveProducer snapshots, archives and stores; this class never touches a target's objects
 * except to ask whether the chain's are still there.
 */
@Injectable()
export class IncrementalProduction {
  private readonly logger = new Logger('Backup');
  private readonly decision = new BackupKindDecision();
  private readonly index: PageIndexStore;

  constructor(
    private readonly targets: TargetDirectory,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly provenance: ArchiveProvenance,
    private readonly pages: PageSnapshots,
    private readonly holds: ChainHolds,
    private readonly unchanged: UnchangedDatabases,
  ) {
    this.index = new PageIndexStore(config.env.dataDir);
  }

  /**
   * `recipients`: the age recipients the backup will be encrypted to (null: plain), as the production asked them once.
   * An incremental plan holds its chain (base..last, ChainHolds) from before it checks that the chain is in the
   * target: the caller releases it (release()) once `jobId` has ended, either way.
   */
  async plan(
    target: BackupTarget,
    requested: BackupKind | undefined,
    storage: ObjectStorage,
    recipients: readonly string[] | null,
    jobId: string,
  ): Promise<ChainPlan> {
    const policy = await this.policyOf(target);
    if (!policy.enabled) return { pageStable: false, kind: 'full', reason: null };
    const read = await this.index.read(target);
    const now = this.clock.now();
    const lastAt = read.usable ? parseBackupName(read.index.last)?.at : undefined;
    const chain =
      read.usable && lastAt
        ? {
            usable: true as const,
            chain: {
              base: read.index.base,
              baseAt: parseBackupName(read.index.base)!.at,
              last: read.index.last,
              lastAt,
              increments: read.index.increments,
              bytesSinceBase: read.index.increments_bytes,
              baseSize: read.index.base_size,
            },
          }
        : {
            usable: false as const,
            reason: read.usable ? `the page index names ${read.index.last}, not a backup's name, as its newest point` : read.reason.summary,
            logReason: read.usable ? undefined : read.reason.message,
          };
    const decided = this.decision.decide({ policy, requested, chain, timeZone: this.config.env.timeZone, now });
    if (decided.kind === 'full' || !read.usable || !chain.usable)
      return { pageStable: true, kind: 'full', reason: decided.reason, logReason: decided.logReason };
    // Held first, checked next: a DELETE or a rotation that comes after the check finds the chain held.
    const links = new Set([read.index.base, read.index.last]);
    const release = this.holds.hold({ target, jobId, base: read.index.base, last: read.index.last, links });
    try {
      // An increment is only as good as the points it needs: every link of its chain, each still in the target, each
      // encrypted to the keys this one will be.
      const reason =
        (await this.chainProblem(target, read.index, storage, recipients, links)) ??
        // The name moves past seconds that backups already carry (a same-second clash): only a clock set back names it before the chain's newest point.
        this.decision.clockBehind(chain.chain, now, await nameSecondUntil(storage, now, chain.chain.lastAt));
      if (reason) {
        release();
        return { pageStable: true, kind: 'full', reason };
      }
    } catch (error) {
      release();
      throw error;
    }
    return { pageStable: true, kind: 'incremental', reason: null, index: read.index, folder: read.folder, hold: { links, release } };
  }

  /** Ends the hold of an incremental plan's chain (nothing for any other plan). */
  release(plan: ChainPlan): void {
    if (plan.kind === 'incremental') plan.hold.release();
  }

  /**
   * The links of an incremental plan's chain that are no longer in the target, asked after its increment is stored
   * and before it is recorded: DELETE and rotation leave them alone while held, but a hand in the folder, a
   * lifecycle rule or a delete already under way when the hold began may not have. One listing, as the plan's own
   * check: one request (per 1,000 objects) whatever the chain's length, where a HEAD per link would be one request
   * per link, one after another (a chain of 24 links: 24 round trips, and on R2 24 class B operations against one
   * class A).
   */
  async missingLinks(plan: Extract<ChainPlan, { kind: 'incremental' }>, storage: ObjectStorage): Promise<string[]> {
    const present = new Set((await storage.list(BACKUP_NAME_PREFIX)).map((object) => object.key));
    return [...plan.hold.links].filter((link) => !present.has(link));
  }

  /**
   * Drops the target's page index before a full backup (or any backup with the policy off) is stored: the next
   * increment then starts from the newest full backup, never from a chain that an older full began, so a chain
   * always runs from its full backup to its newest point with no other full backup between them. A kill after
   * this leaves no index, and the next backup is full. Throws (nothing is stored yet) when the index is there and
   * cannot be removed.
   */
  async startNewChain(target: BackupTarget): Promise<void> {
    const folder = this.index.folderOf(target);
    await fs.promises.rm(folder, { recursive: true, force: true }).catch((error: Error) => {
      throw new Error(`the page index ${folder} of the chain this full backup replaces cannot be removed (${error.message}): remove it by hand`);
    });
  }

  /**
   * Why the chain of `index` cannot take an increment encrypted to `recipients`, or undefined when it can: its links
   * (the full backup, then each increment to the newest point), followed from the newest point by the records of
   * what this installation wrote, must all be recorded and all be in the target, and its full backup (so every
   * increment after it) written to the same recipients as this backup will be. Each link followed is added to
   * `held` (the plan's hold).
   */
  private async chainProblem(
    target: BackupTarget,
    index: PageIndex,
    storage: ObjectStorage,
    recipients: readonly string[] | null,
    held: Set<string>,
  ): Promise<string | undefined> {
    const records = await this.provenance.findAll(target);
    const links: string[] = [];
    for (let name = index.last; ;) {
      links.unshift(name);
      held.add(name);
      if (name === index.base) break;
      const parent = records.get(name)?.parent;
      if (!parent) return `there is no record of ${name}, a link of the chain of ${index.base}, so the chain cannot be checked whole`;
      // The index counts the chain's increments: a longer walk is a record that disagrees with it (or a loop).
      if (links.length > index.increments) return `the records of the chain of ${index.base} do not agree with its page index (${index.increments} increments)`;
      name = parent;
    }
    if (links.length !== index.increments + 1)
      return `the records of the chain of ${index.base} do not agree with its page index (${index.increments} increments)`;
    const present = new Set((await storage.list(BACKUP_NAME_PREFIX)).map((object) => object.key));
    const missing = this.decision.missingLink(links, present);
    if (missing) return missing;
    const base = records.get(index.base);
    if (!base) return `there is no record of ${index.base}, the chain's full backup, so the keys it was encrypted to cannot be compared`;
    return this.decision.recipientsChanged(index.base, base.recipients, recipients);
  }

  /**
   * A page-stable snapshot of `db` into `scratch` (`<filename>`, its hashes beside it), its version taken first.
   * With `chain` (an increment's plan, the database in its index), the pages that differ from the chain's newest
   * point are found in the same read and written to `<filename>.pages` (the snapshot's `changes`).
   */
  async snapshot(db: ManagedDatabase, scratch: string, signal: AbortSignal, chain?: Extract<ChainPlan, { kind: 'incremental' }>): Promise<PointDatabase> {
    // Before the snapshot's read transaction: a commit between the two shows as a change at the next backup.
    const version = this.unchanged.versionOf(db);
    const indexed = chain?.index.databases.find((d) => d.name === db.name);
    const compareWith = indexed && {
      name: db.name,
      previous: previousPagesOf(indexed, chain!.folder),
      pagesFile: path.join(scratch, `${db.filename}.pages`),
    };
    const snapshot = await this.pages.snapshot(db, path.join(scratch, db.filename), signal, compareWith);
    return { ...snapshot, version };
  }

  /** The backup's snapshots and page comparisons are done: their worker threads end now (PageSnapshots.endIdleWorkers). */
  pageWorkDone(): Promise<void> {
    return this.pages.endIdleWorkers();
  }

  /**
   * The databases of an increment's plan that nobody wrote to since the chain's newest point, as that point holds
   * them (not read: no copy, no pages, the index's hashes and checksum), with a log line naming them.
   */
  carriedOver(
    label: string,
    target: BackupTarget,
    plan: Extract<ChainPlan, { kind: 'incremental' }>,
    databases: readonly ManagedDatabase[],
  ): Map<string, PointDatabase> {
    const unchanged = this.unchanged.since(target, plan.index, databases);
    const carried = new Map<string, PointDatabase>();
    for (const db of plan.index.databases.filter((d) => unchanged.has(d.name))) {
      carried.set(db.name, {
        file: null,
        bytes: db.page_count * db.page_size,
        sha256: db.sha256,
        pageSize: db.page_size,
        pageCount: db.page_count,
        hashesFile: path.join(plan.folder, db.hashes_file),
        changes: NOTHING_CHANGED,
        version: unchanged.get(db.name)!,
      });
    }
    if (carried.size > 0) {
      // In registry order, as the metadata lists them.
      const names = (unread: boolean) => databases.filter((db) => carried.has(db.name) === unread).map((db) => db.name);
      const read = names(false);
      this.logger.log(
        `${label}: ${names(true).join(', ')} unchanged since ${plan.index.last} (no commit seen), not read again; ${read.length > 0 ? `read: ${read.join(', ')}` : 'nothing read'}`,
      );
    }
    return carried;
  }

  /**
   * The increment of `snapshots` (every database's, in registry order) against the chain of `plan`: each changed
   * database's pages written to `<name>.db.pages` in `scratch`. A string when it cannot be made (the backup is then
   * full, from the same snapshots): a database added or removed, a page size changed, more than half of a
   * database's pages changed.
   */
  async increment(
    plan: Extract<ChainPlan, { kind: 'incremental' }>,
    databases: readonly ManagedDatabase[],
    snapshots: ReadonlyMap<string, PointDatabase>,
    scratch: string,
    signal: AbortSignal,
  ): Promise<IncrementDraft | string> {
    const indexed = new Map(plan.index.databases.map((db) => [db.name, db]));
    const setChange = this.decision.afterSnapshot([
      ...databases.map((db) => ({ name: db.name, indexed: indexed.has(db.name), current: true })),
      ...plan.index.databases.filter((db) => !databases.some((d) => d.name === db.name)).map((db) => ({ name: db.name, indexed: true, current: false })),
    ]);
    if (setChange) return setChange;
    const entries: IncrementalDatabaseEntry[] = [];
    const files: TarPackerEntry[] = [];
    for (const db of databases) {
      const snapshot = snapshots.get(db.name)!;
      const pagesFile = path.join(scratch, `${db.filename}.pages`);
      // Found while the snapshot was hashed (or nothing, for a database not read); diffPages otherwise.
      const changes =
        snapshot.changes ??
        (await this.pages.changes(db.name, previousPagesOf(indexed.get(db.name)!, plan.folder), { ...snapshot, file: snapshot.file! }, pagesFile, signal));
      if (changes.kind === 'needs-full') return changes.reason.message;
      const entry = incrementEntryOf(db.name, snapshot, changes);
      entries.push(entry);
      if (changes.pagesFile) files.push({ name: path.basename(changes.pagesFile.path), size: changes.pagesFile.bytes });
    }
    return { base: plan.index.base, parent: plan.index.last, databases: entries, files };
  }

  /**
   * Makes `point` the newest of the target's chain, once it is stored and its provenance recorded: a full backup
   * starts a new chain (base = last = it), an increment extends the one of `draft`. Never throws: the backup is
   * made either way. An index that could not be moved is removed instead, so the next backup is a full one rather
   * than a second increment from the same parent (a fork no restore of "the increments in order" could follow).
   */
  async advance(
    target: BackupTarget,
    point: StoredPoint,
    snapshots: ReadonlyMap<string, PointDatabase>,
    chain: { plan: Extract<ChainPlan, { kind: 'incremental' }>; draft: IncrementDraft } | undefined,
  ): Promise<void> {
    try {
      await this.writeIndex(target, point, snapshots, chain);
      this.unchanged.remember(
        target,
        point.filename,
        [...snapshots.entries()].map(([name, db]) => ({ name, version: db.version, sha256: db.sha256, pageCount: db.pageCount, pageSize: db.pageSize })),
      );
    } catch (error) {
      this.unchanged.forget(target);
      const folder = this.index.folderOf(target);
      const removed = await fs.promises.rm(folder, { recursive: true, force: true }).then(
        () => 'it was removed, so the next backup is a full one',
        (rmError: Error) => `nor could it be removed (${rmError.message}): remove ${folder} by hand before the next backup`,
      );
      this.logger.error(`The page index of ${target} could not be moved to ${point.filename} (${(error as Error).message}); ${removed}`);
    }
  }

  private async writeIndex(
    target: BackupTarget,
    point: StoredPoint,
    snapshots: ReadonlyMap<string, PointDatabase>,
    chain: { plan: Extract<ChainPlan, { kind: 'incremental' }>; draft: IncrementDraft } | undefined,
  ): Promise<void> {
    const databases = (previous?: PageIndex): PageIndexUpdateDatabase[] =>
      [...snapshots.entries()].map(([name, snapshot]) => ({
        name,
        page_size: snapshot.pageSize,
        page_count: snapshot.pageCount,
        sha256: snapshot.sha256,
        hashes: this.hashesOf(name, snapshot, previous, chain?.plan.folder),
      }));
    if (!chain) {
      await this.index.write(target, {
        base: point.filename,
        base_size: point.size,
        last: point.filename,
        increments: 0,
        increments_bytes: 0,
        databases: databases(),
      });
      return;
    }
    const { index } = chain.plan;
    await this.index.write(target, {
      base: index.base,
      base_size: index.base_size,
      last: point.filename,
      increments: index.increments + 1,
      increments_bytes: index.increments_bytes + point.size,
      databases: databases(index),
    });
  }

  /** The hashes file of a database at the new point: the index's own when nothing of it changed (no copy), else the snapshot's. */
  private hashesOf(name: string, snapshot: PointDatabase, previous: PageIndex | undefined, folder: string | undefined): string {
    const kept = previous?.databases.find((db) => db.name === name);
    if (kept && folder && kept.sha256 === snapshot.sha256 && kept.page_count === snapshot.pageCount) return path.join(folder, kept.hashes_file);
    return snapshot.hashesFile;
  }

  /** The target's incremental policy; off for a target that has none. */
  private async policyOf(target: BackupTarget): Promise<IncrementalPolicy> {
    const definition = (await this.targets.get(target)) as { incremental?: IncrementalPolicy };
    return definition.incremental ?? POLICY_OFF;
  }
}
