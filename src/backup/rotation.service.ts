import { Injectable, Logger } from '@nestjs/common';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { AppConfig } from '../config/app-config.js';
import { StorageTargets } from '../storage/storage-targets.js';
import type { RetentionRule } from '../targets/target-definition.js';
import { TargetDirectory } from '../targets/target-directory.js';
import { BackupCatalogService, type BackupFile } from './backup-catalog.service.js';
import { RotationCompletedEvent } from './backup.events.js';
import { describeRetention, hasCalendarRule, type KeptBackup, MINIMUM_KEPT, planRetention } from './retention/retention-planner.js';

export { MINIMUM_KEPT };

export interface RotationResult {
  target: BackupTarget;
  retentionDays: number;
  deleted: string[];
  kept: number;
  /** Kept because they are not this installation's: another installation's, or without an owner while one shares the target. */
  notOwn: number;
  failed: Array<{ filename: string; message: string }>;
}

/** A rotation's result with why each kept backup stays. */
export interface RotationReport extends RotationResult {
  /** Every backup kept, newest first, with its reasons (those that could not be deleted are in `failed` only). */
  keptBackups: KeptBackup[];
}

/** What a rotation would do now (a dry run): nothing is deleted, no event is emitted. */
export interface RotationPreview {
  target: BackupTarget;
  rule: RetentionRule;
  /** Oldest first. */
  deleted: string[];
  /** Newest first. */
  kept: KeptBackup[];
}

/**
 * Deletes the backups the target's retention rule does not keep (RetentionPlanner: the spec's retention days,
 * always keeping the newest three, retention 0 keeping everything; and, once set, the calendar rules keep_hourly
 * … keep_yearly, where retention 0 means no rule by age). Plain and encrypted backups count together, by the time
 * in their names. Age comes from the name, never from an object's modification time.
 * Only this installation's own backups are counted and deleted (see BackupFile.own): in a bucket or
 * folder shared with another installation, that one's backups are never touched.
 */
@Injectable()
export class RotationService {
  private readonly logger = new Logger('Rotation');

  constructor(
    private readonly catalog: BackupCatalogService,
    private readonly storage: StorageTargets,
    private readonly targets: TargetDirectory,
    private readonly clock: Clock,
    private readonly events: DomainEventBus,
    private readonly config: AppConfig,
  ) {}

  /** Rotates `target` once; RotationCompletedEvent says what it did (it is not emitted when the rotation could not list the backups). */
  async rotate(target: BackupTarget): Promise<RotationReport> {
    const result = await this.deleteExpired(target);
    this.events.emit(new RotationCompletedEvent(target, result.deleted, result.kept, result.failed));
    return result;
  }

  /** What rotating `target` now would delete and why it would keep each other backup; changes nothing, logs nothing, emits nothing. */
  async preview(target: BackupTarget): Promise<RotationPreview> {
    const { rule, plan } = await this.plan(target);
    return { target, rule, deleted: plan.deleted, kept: plan.kept };
  }

  /** The target's rule, its backups newest first, and the plan for them at the clock's now in the service's time zone (the scheduler's). */
  private async plan(target: BackupTarget) {
    const rule = (await this.targets.get(target)).retention;
    const backups = await this.catalog.list(target); // newest first
    return { rule, backups, plan: planRetention(backups, rule, this.clock.now(), this.config.env.timeZone) };
  }

  private async deleteExpired(target: BackupTarget): Promise<RotationReport> {
    const label = `${targetLabel(target)} backup rotation`;
    const { rule, backups, plan } = await this.plan(target);
    const retentionDays = rule.retentionDays;
    const calendar = hasCalendarRule(rule);
    const notOwn = backups.filter((b) => !b.own).length;
    this.warnAboutUnowned(label, target, backups);
    const others = notOwn ? ` and ${notOwn} not this installation's` : '';
    const keptBackups = plan.kept;
    if (!calendar && retentionDays === 0) {
      this.logger.log(`${label}: retention is 0 (keep forever); kept all ${backups.length} backups`);
      return { target, retentionDays, deleted: [], kept: backups.length, notOwn, failed: [], keptBackups };
    }
    const byName = new Map(backups.map((b) => [b.filename, b]));
    const expired = plan.deleted.map((name) => byName.get(name)!);
    if (expired.length === 0) {
      this.logger.log(
        calendar
          ? `${label}: nothing to delete under the rule (${describeRetention(rule)}); kept ${backups.length} backups${others}`
          : `${label}: nothing older than ${retentionDays} days to delete; kept ${backups.length} backups${others}`,
      );
      return { target, retentionDays, deleted: [], kept: backups.length, notOwn, failed: [], keptBackups };
    }
    const result = await this.storage.get(target).deleteMany(expired.map((b) => b.filename));
    const failed = result.failed.map((f) => ({ filename: f.key, message: f.message }));
    const gone = new Set(result.deleted);
    const deleted = expired.map((b) => b.filename).filter((name) => gone.has(name));
    for (const name of deleted) await this.catalog.forget(target, name);
    // A key reported failed may have lost its archive and kept a marker (the archive goes first): its record goes too.
    for (const failure of failed) if (await this.catalog.isGone(target, failure.filename)) await this.catalog.forget(target, failure.filename);
    const kept = backups.length - deleted.length;
    const what = calendar ? `not kept by the rule (${describeRetention(rule)})` : `older than ${retentionDays} days`;
    this.logger.log(
      `${label}: deleted ${deleted.length} backups ${what}, kept ${kept} (newest ${MINIMUM_KEPT} always kept${others})` +
        (deleted.length ? `; deleted: ${summarize(deleted)}` : ''),
    );
    for (const failure of failed) this.logger.error(`${label}: could not delete ${failure.filename}: ${failure.message}`);
    return { target, retentionDays, deleted, kept, notOwn, failed, keptBackups };
  }

  /** Backups without an owner are left alone once another installation shares the target: say so, and how to let rotation manage them. */
  private warnAboutUnowned(label: string, target: BackupTarget, backups: BackupFile[]): void {
    const unowned = backups.filter((b) => b.owner === null && !b.own);
    if (unowned.length === 0) return;
    this.logger.warn(
      `${label}: left ${unowned.length} backups without an owner alone (made by an earlier version, e.g. ${unowned[unowned.length - 1].filename}) ` +
        `because another installation's backups are in the same ${target === 'r2' ? 'bucket' : 'folder'}; ` +
        `adopt the ones that are this installation's with POST /api/backups/${target}/<filename>/adopt so rotation manages them`,
    );
  }
}

function summarize(names: string[]): string {
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 5).join(', ')} … ${names.slice(-5).join(', ')} (${names.length} in all)`;
}
