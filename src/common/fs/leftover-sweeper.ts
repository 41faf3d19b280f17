import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppConfig } from '../../config/app-config.js';
import { InstallationIdentity } from '../installation/installation-identity.js';
import { bounded } from './bounded-fs.js';
import {
  PARTIAL_NAME,
  PARTIAL_SUFFIX,
  PARTIAL_TAG_LENGTH,
  PARTIAL_TAG_SUBJECT,
  readWorkFolderMarker,
  WORK_FOLDER_MARKER,
  type WorkFolderKind,
  workFolderKindOf,
} from './work-folder.js';

/**
 * A `.partial` file untouched this long past the longest a write may take belongs to no running
 * write: the margin covers a write that is slow to give up (its last fsync, its own removal).
 */
export const STALE_PARTIAL_MARGIN_MS = 10 * 60_000;

/** One work folder the sweep removed. */
export interface SweptFolder {
  name: string;
  kind: WorkFolderKind;
  /** The backup job whose scratch folder it was. */
  jobId?: string;
}

export interface SweepReport {
  removed: SweptFolder[];
  /** Named like a work folder but not provably ours: left where it is, with a warning naming it. */
  leftAlone: string[];
}

/** What a sweep of `.partial` files in one folder did, by file name. */
export interface PartialSweepReport {
  removed: string[];
  /** Named like a `.partial` file but without this installation's tag: another installation's or a person's. */
  leftAlone: string[];
  /** Ours, but the removal failed; the error as the file system gave it. */
  failed: Array<{ name: string; error: unknown }>;
}

/** A temporary file this process is about to write: never swept until `release()` (after its rename or removal). */
export interface PartialFileClaim {
  readonly path: string;
  release(): void;
}

/**
 * Removes what crashed work left behind, and only what it can prove is its own. Two kinds of leftovers:
 *
 * Work folders in DATA_DIR (sweepDataDir): a folder named like a work folder (`.backup-tmp-*`,
 * `.restore-staging-*`, `.restore-verify-*`, `.pre-restore-backup-*.partial`) goes only when its marker
 * is valid, of this installation, of the kind its name says, and not of this very process (whose jobs
 * may be writing it). An empty folder goes with rmdir, which cannot delete anything (a kill between
 * mkdtemp and the marker leaves one). Anything else is left alone with a warning. Called once per boot
 * by the restore's start-up step (RestoreApplier), before any database opens and so before any job can
 * start; free-space checks come after it and count what it freed.
 *
 * `.partial` files in a backup folder (sweepPartials): the temporary files of writes that never
 * finished. The proof is the name: it carries this installation's tag (partialFile() names them), and
 * the file is not one this process is writing now. With an age cut-off (while the service runs) only
 * files older than the longest write go; at start, before any write, all of ours go. A file without
 * the tag is never removed. Called by the local-folder adapter.
 */
@Injectable()
export class LeftoverSweeper {
  private readonly logger = new Logger('Sweep');
  private last: SweepReport = { removed: [], leftAlone: [] };
  private readonly partialTag: string;
  /** The `.partial` files this process is writing now (full paths): never swept. */
  private readonly writing = new Set<string>();
  /** Foreign `.partial` files already warned about, so a sweep before each upload does not repeat it. */
  private readonly warnedForeign = new Set<string>();

  constructor(
    private readonly config: AppConfig,
    private readonly identity: InstallationIdentity,
  ) {
    this.partialTag = identity.tag(PARTIAL_TAG_SUBJECT, PARTIAL_TAG_LENGTH);
  }

  /** A new temporary name for `base` in `dir`, carrying this installation's tag, claimed until released. */
  partialFile(dir: string, base: string): PartialFileClaim {
    const file = path.join(dir, `.${base}.${this.partialTag}${randomBytes(4).toString('hex')}${PARTIAL_SUFFIX}`);
    this.writing.add(file);
    return { path: file, release: () => this.writing.delete(file) };
  }

  /** Whether `id` (an owner marker's text) names this installation: the proof a leftover marker is ours to remove. */
  ownsInstallation(id: string | null | undefined): boolean {
    return id === this.identity.id;
  }

  /** Whether a `.partial` file name carries this installation's tag. */
  ownsPartial(name: string): boolean {
    return PARTIAL_NAME.test(name) && name.slice(-(PARTIAL_SUFFIX.length + 16), -PARTIAL_SUFFIX.length).startsWith(this.partialTag);
  }

  /**
   * Removes this installation's `.partial` files in `dir` that no write of this process holds. With
   * `longestWriteMs`, only those untouched for longer than that plus STALE_PARTIAL_MARGIN_MS (a write
   * of an earlier process that a failed removal left, while this one runs); without it, every one (at
   * start, before any write). A missing folder has none; a folder that cannot be listed rejects.
   */
  async sweepPartials(dir: string, options: { longestWriteMs?: number } = {}): Promise<PartialSweepReport> {
    const report: PartialSweepReport = { removed: [], leftAlone: [], failed: [] };
    const names = await bounded('Listing the folder', dir, fs.promises.readdir(dir)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const cutoff = options.longestWriteMs === undefined ? undefined : Date.now() - options.longestWriteMs - STALE_PARTIAL_MARGIN_MS;
    for (const name of names) {
      if (!PARTIAL_NAME.test(name)) continue;
      const file = path.join(dir, name);
      if (!this.ownsPartial(name)) {
        report.leftAlone.push(name);
        if (!this.warnedForeign.has(file)) {
          this.warnedForeign.add(file);
          this.logger.warn(`Left ${file} alone: it is named like an unfinished upload but was not written by this installation`);
        }
        continue;
      }
      if (this.writing.has(file)) continue;
      try {
        if (cutoff !== undefined) {
          const stat = await bounded('Reading an unfinished file', dir, fs.promises.stat(file));
          if (stat.mtimeMs >= cutoff) continue;
        }
        await bounded('Removing an unfinished file', dir, fs.promises.rm(file, { force: true }));
        report.removed.push(name);
        this.logger.warn(`Removed ${name} from ${dir}: an upload of this installation that never finished`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // gone meanwhile
        report.failed.push({ name, error });
      }
    }
    return report;
  }

  /** What the start-up sweep of this boot did (empty before it ran). */
  get lastReport(): SweepReport {
    return this.last;
  }

  /** Sweeps DATA_DIR; `keep` names folders in use (the staging folder a pending restore names). */
  async sweepDataDir(options: { keep?: readonly string[] } = {}): Promise<SweepReport> {
    const dataDir = this.config.env.dataDir;
    const report: SweepReport = { removed: [], leftAlone: [] };
    let entries: string[];
    try {
      entries = await fs.promises.readdir(dataDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return (this.last = report);
      throw error;
    }
    for (const name of entries) {
      const kind = workFolderKindOf(name);
      if (!kind || options.keep?.includes(name)) continue;
      const dir = path.join(dataDir, name);
      const verdict = await this.judge(dir, kind);
      if (verdict.remove) {
        await fs.promises.rm(dir, { recursive: true, force: true });
        report.removed.push({ name, kind, ...(verdict.jobId ? { jobId: verdict.jobId } : {}) });
        this.logger.warn(`Removed ${name} from ${dataDir}: ${verdict.why}`);
      } else if (verdict.emptyRemoved) {
        report.removed.push({ name, kind });
        this.logger.warn(`Removed the empty folder ${name} from ${dataDir} (work interrupted before it began)`);
      } else if (verdict.why) {
        report.leftAlone.push(name);
        this.logger.warn(`Left ${dir} alone: ${verdict.why}`);
      }
    }
    this.last = report;
    return report;
  }

  private async judge(dir: string, kind: WorkFolderKind): Promise<{ remove?: boolean; emptyRemoved?: boolean; jobId?: string; why?: string }> {
    const stat = await fs.promises.lstat(dir).catch(() => undefined);
    if (!stat) return {};
    if (!stat.isDirectory()) {
      return {
        why: `it is named like one of the service's ${describe(kind)} folders but is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}, so it is not one the service made. Rename or move it`,
      };
    }
    const marker = readWorkFolderMarker(dir);
    if (!marker) {
      try {
        await fs.promises.rmdir(dir); // fails unless empty: nothing can be lost
        return { emptyRemoved: true };
      } catch {
        // not empty: not provably ours
      }
      return {
        why: `it is named like one of the service's ${describe(kind)} folders but has no valid ${WORK_FOLDER_MARKER} of this installation, so it may hold someone's files. Rename or move it if it is yours; delete it by hand if it is not`,
      };
    }
    if (marker.installation_id !== this.identity.id) {
      return {
        why: `its marker names another installation (${marker.installation_id}, this one is ${this.identity.id}); that installation's own start removes it`,
      };
    }
    if (marker.kind !== kind) return { why: `its marker says it is a ${describe(marker.kind)} folder, but its name says ${describe(kind)}: rename or move it` };
    if (marker.process_token === this.identity.processToken) return {};
    return {
      remove: true,
      jobId: marker.job_id,
      why: `the ${describe(kind)} folder of work interrupted when the service stopped (made by process ${marker.pid} at ${marker.created_at}${marker.job_id ? `, backup job ${marker.job_id}` : ''}); it held only copies`,
    };
  }
}

function describe(kind: WorkFolderKind): string {
  switch (kind) {
    case 'backup-scratch':
      return 'backup scratch';
    case 'restore-staging':
      return 'restore staging';
    case 'restore-verify':
      return 'verification';
    case 'safety-copy':
      return 'unfinished safety copy';
  }
}
