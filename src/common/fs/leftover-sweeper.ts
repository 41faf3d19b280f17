import { Injectable, Logger } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { AppConfig } from '../../config/app-config.js';
import { InstallationIdentity } from '../installation/installation-identity.js';
import { readWorkFolderMarker, WORK_FOLDER_MARKER, type WorkFolderKind, workFolderKindOf } from './work-folder.js';

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

/**
 * Removes what crashed work left in DATA_DIR, and only what it can prove is its own: a folder named like
 * a work folder (`.backup-tmp-*`, `.restore-staging-*`, `.restore-verify-*`, `.pre-restore-backup-*.partial`)
 * goes only when its marker is valid, of this installation, of the kind its name says, and not of this
 * very process (whose jobs may be writing it). An empty folder goes with rmdir, which cannot delete
 * anything (a kill between mkdtemp and the marker leaves one). Anything else is left alone with a warning.
 *
 * Called once per boot by the restore's start-up step (RestoreApplier), before any database opens and
 * so before any job can start; free-space checks come after it and count what it freed.
 */
@Injectable()
export class LeftoverSweeper {
  private readonly logger = new Logger('Sweep');
  private last: SweepReport = { removed: [], leftAlone: [] };

  constructor(
    private readonly config: AppConfig,
    private readonly identity: InstallationIdentity,
  ) {}

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
      return { why: `it is named like one of the service's ${describe(kind)} folders but is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}, so it is not one the service made. Rename or move it` };
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
      return { why: `its marker names another installation (${marker.installation_id}, this one is ${this.identity.id}); that installation's own start removes it` };
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
