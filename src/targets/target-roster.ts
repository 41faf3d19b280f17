import { Injectable, Logger } from '@nestjs/common';
import { BACKUP_TARGETS, type BackupTarget, targetLabel } from '../common/backup-target.js';
import type { ScheduleValue } from '../common/schedules/backup-schedule.js';
import { SettingsService } from '../settings/settings.service.js';
import type { TargetKind } from './target-definition.js';
import { TargetDirectory } from './target-directory.js';

/** What a per-target loop (scheduler, health, metrics, disk watch) needs of a target: no secret among it. */
export interface RosterEntry {
  id: BackupTarget;
  /** For log lines: 'R2', 'Local', or the added target's label. */
  label: string;
  kind: TargetKind;
  builtIn: boolean;
  enabled: boolean;
  schedule: ScheduleValue;
  /** kind folder: the folder ('' for the built-in local, whose folder the settings resolve). */
  path: string;
  /** Why its jobs do not run when it is turned off, naming what turns it on. */
  offReason: string;
  /**
   * An added target: when it was created; runs, health records and verifications of its id from before are
   * a deleted target's of the same id, not its own. Absent for the built-ins (their history is all theirs).
   */
  since?: string;
}

/**
 * Every target, for the features that run on their own per target. The built-ins are read from the settings
 * without decrypting any secret (a bad master key must not stop the local schedule or hide the status), as
 * these features always read them. The added targets come from config.db's `targets` table; when that cannot
 * be read (a damaged config.db) the failure is logged once and the built-ins still run: a broken list of
 * extra destinations must never stop the two every installation has.
 */
@Injectable()
export class TargetRoster {
  private readonly logger = new Logger('Targets');
  /** The last failure logged, so a damaged config.db is said once, not on every scrape or timer. */
  private lastFailure: string | undefined;

  constructor(
    private readonly settings: SettingsService,
    private readonly directory: TargetDirectory,
  ) {}

  /**
   * The built-ins first (throws when their settings cannot be read, as before), then the added targets.
   * `strict`: throw too when the added targets cannot be read, for a caller that would take "none" as "all
   * deleted" (the scheduler would disarm every added target's schedule on one failed read).
   */
  async entries(options: { strict?: boolean } = {}): Promise<RosterEntry[]> {
    const values = new Map((await this.settings.list()).map((setting) => [setting.key, setting.value]));
    const builtIns = BACKUP_TARGETS.map((id): RosterEntry => ({
      id,
      label: targetLabel(id),
      kind: id === 'local' ? 'folder' : 's3',
      builtIn: true,
      enabled: values.get(`${id}_backup_enabled`) === 1,
      schedule: (values.get(`${id}_backup_schedule`) ?? 'daily') as ScheduleValue,
      path: '',
      offReason: `${targetLabel(id)} backups are turned off (${id}_backup_enabled = 0)`,
    }));
    return [...builtIns, ...(await this.added(options))];
  }

  /** The target `id` if it exists (an added target read just now), else undefined. */
  async entry(id: BackupTarget): Promise<RosterEntry | undefined> {
    return (await this.entries()).find((entry) => entry.id === id);
  }

  /** Every target's id, the built-ins even when nothing can be read. */
  async ids(): Promise<BackupTarget[]> {
    return [...BACKUP_TARGETS, ...(await this.added()).map((entry) => entry.id)];
  }

  /** The added targets; none (logged) when config.db cannot be read, or with `strict` that failure thrown. */
  async added(options: { strict?: boolean } = {}): Promise<RosterEntry[]> {
    try {
      const targets = await this.directory.addedWithoutSecrets();
      this.lastFailure = undefined;
      return targets.map((target) => ({
        id: target.id,
        label: targetLabel(target.id, target.label),
        kind: target.kind,
        builtIn: false,
        enabled: target.enabled,
        schedule: target.schedule,
        path: target.path,
        ...(target.createdAt ? { since: target.createdAt } : {}),
        offReason: `${targetLabel(target.id, target.label)} backups are turned off (target ${target.id}: enabled = false; PATCH /api/targets/${target.id})`,
      }));
    } catch (error) {
      const message = `Cannot read the added backup targets (config.db): ${(error as Error).message}; only local and r2 run until it can be read`;
      if (message !== this.lastFailure) this.logger.error(message);
      this.lastFailure = message;
      if (options.strict) throw new Error(message, { cause: error });
      return [];
    }
  }
}

/** Whether `time` is before `since` (an added target's creation): then it was recorded for a deleted target of the same id. */
export function recordedBefore(time: string | null, since: string | undefined): boolean {
  return since !== undefined && time !== null && Date.parse(time) < Date.parse(since);
}
