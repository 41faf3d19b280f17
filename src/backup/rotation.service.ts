import { Injectable, Logger } from '@nestjs/common';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { AppConfig } from '../config/app-config.js';
import { TargetDirectory } from '../targets/target-directory.js';
import { StorageTargets } from '../storage/storage-targets.js';
import type { RetentionRule } from '../targets/target-definition.js';
import { BackupCatalogService, type BackupFile } from './backup-catalog.service.js';
import type { BackupTrigger } from './backup-run.entity.js';
import { RotationCompletedEvent, RotationFailedEvent } from './backup.events.js';
import { ChainHolds } from './incremental-production/chain-holds.js';
import { describeRetention, hasCalendarRule, type KeptBackup, MINIMUM_KEPT, planRetention, type RetentionCandidate } from './retention/retention-planner.js';

export { MINIMUM_KEPT };

export interface RotationResult {
  target: BackupTarget;
  retentionDays: number;
  deleted: string[];
  kept: number;
  /** Kept because they are not this installation's: another installation's, or without an owner while one shares the target. */
  notOwn: number;
  failed: Array<{ filename: string; message: string }>;
  /**
   * Of the backups kept, those the rule would delete but a lock keeps: an S3 Object Lock retention not yet past
   * (never sent a delete), or a delete the store refused because of a lock (an R2 bucket lock rule). A later
   * rotation deletes them once the lock lets them go. `retainUntil` null: the store did not say until when.
   */
  locked: Array<{ filename: string; retainUntil: Date | null }>;
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
  /** Rotations running now, per target (the scheduler's and POST /rotate's may overlap). */
  private readonly rotating = new Map<BackupTarget, number>();

  constructor(
    private readonly catalog: BackupCatalogService,
    private readonly storage: StorageTargets,
    private readonly targets: TargetDirectory,
    private readonly clock: Clock,
    private readonly events: DomainEventBus,
    private readonly config: AppConfig,
    private readonly holds: ChainHolds,
  ) {}

  /** Rotates `target` once; RotationCompletedEvent says what it did, RotationFailedEvent why a rotation that could not list the backups did nothing (`trigger`: who asked, for the run history). */
  async rotate(target: BackupTarget, trigger: BackupTrigger = 'manual'): Promise<RotationReport> {
    this.rotating.set(target, (this.rotating.get(target) ?? 0) + 1);
    const started = Date.now();
    try {
      const result = await this.deleteExpired(target);
      this.events.emit(new RotationCompletedEvent(target, result.deleted, result.kept, result.failed, trigger, Date.now() - started));
      return result;
    } catch (error) {
      const code = error instanceof DomainError ? error.code : ErrorCode.Internal;
      this.events.emit(new RotationFailedEvent(target, trigger, code, (error as Error).message, Date.now() - started));
      throw error;
    } finally {
      const left = (this.rotating.get(target) ?? 1) - 1;
      if (left === 0) this.rotating.delete(target);
      else this.rotating.set(target, left);
    }
  }

  /** Whether a rotation of `target` is deleting now (its place must not change under it). */
  isRotating(target: BackupTarget): boolean {
    return this.rotating.has(target);
  }

  /** What rotating `target` now would delete and why it would keep each other backup; changes nothing, logs nothing, emits nothing. */
  async preview(target: BackupTarget): Promise<RotationPreview> {
    const { rule, backups, plan } = await this.plan(target);
    const { expired, locked } = this.withoutLocked(plan.deleted, backups);
    return { target, rule, deleted: expired.map((b) => b.filename), kept: keptWithLocks(plan.kept, locked, backups) };
  }

  /**
   * Splits what the rule would delete: a backup whose Object Lock retention has not passed is never sent a delete
   * (the store would refuse it, or, asked without a version, hide it); it stays, reported as locked.
   */
  private withoutLocked(names: string[], backups: BackupFile[]): { expired: BackupFile[]; locked: RotationResult['locked'] } {
    const byName = new Map(backups.map((b) => [b.filename, b]));
    const now = this.clock.now().getTime();
    const expired: BackupFile[] = [];
    const locked: RotationResult['locked'] = [];
    for (const name of names) {
      const backup = byName.get(name)!;
      if (backup.lock && backup.lock.retainUntil.getTime() > now) locked.push({ filename: name, retainUntil: backup.lock.retainUntil });
      else expired.push(backup);
    }
    return { expired, locked };
  }

  /**
   * What a rotation under `rule` would delete of `backups` now (they need not all be stored yet: replication
   * asks what a replica would keep of its copies before it makes them), and its rule in words for messages.
   */
  planFor(backups: readonly RetentionCandidate[], rule: RetentionRule): { deleted: string[]; rule: string } {
    return { deleted: planRetention(backups, rule, this.clock.now(), this.config.env.timeZone).deleted, rule: describeRetention(rule) };
  }

  /** The target's rule, its backups newest first, and the plan for them at the clock's now in the service's time zone (the scheduler's). */
  private async plan(target: BackupTarget) {
    const definition = await this.targets.get(target);
    const rule = definition.retention;
    const backups = await this.catalog.list(target); // newest first
    return {
      rule,
      place: definition.kind === 's3' ? 'bucket' : 'folder',
      backups,
      // The chains running incremental backup jobs build on stay whatever the rule says (ChainHolds).
      plan: planRetention(backups, rule, this.clock.now(), this.config.env.timeZone, this.holds.heldIn(target)),
    };
  }

  private async deleteExpired(target: BackupTarget): Promise<RotationReport> {
    const label = `${targetLabel(target)} backup rotation`;
    const { rule, place, backups, plan } = await this.plan(target);
    const retentionDays = rule.retentionDays;
    const calendar = hasCalendarRule(rule);
    const notOwn = backups.filter((b) => !b.own).length;
    this.warnAboutUnowned(label, target, place, backups);
    this.warnAboutGuessedChains(label, target, plan.guessed);
    const others = notOwn ? ` and ${notOwn} not this installation's` : '';
    if (!calendar && retentionDays === 0) {
      const keptBackups = plan.kept;
      this.logger.log(`${label}: retention is 0 (keep forever); kept all ${backups.length} backups`);
      return { target, retentionDays, deleted: [], kept: backups.length, notOwn, failed: [], keptBackups, locked: [] };
    }
    const { expired: planned, locked } = this.withoutLocked(plan.deleted, backups);
    // Asked again at the last moment: a job may have begun to build on one of them while the target was listed.
    const heldNow = this.holds.heldIn(target);
    const expired = planned.filter((b) => !heldNow.has(b.filename));
    const keptBackups = keptWithHeld(plan.kept, planned, heldNow, backups);
    if (expired.length === 0) {
      this.logger.log(
        calendar
          ? `${label}: nothing to delete under the rule (${describeRetention(rule)}); kept ${backups.length} backups${others}`
          : `${label}: nothing older than ${retentionDays} days to delete; kept ${backups.length} backups${others}`,
      );
      this.logLocked(label, locked);
      return { target, retentionDays, deleted: [], kept: backups.length, notOwn, failed: [], keptBackups: keptWithLocks(keptBackups, locked, backups), locked };
    }
    const result = await (await this.storage.get(target)).deleteMany(expired.map((b) => b.filename));
    const failed = result.failed.map((f) => ({ filename: f.key, message: f.message }));
    locked.push(...result.locked.map((l) => ({ filename: l.key, retainUntil: l.retainUntil })));
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
    this.logLocked(label, locked);
    for (const failure of failed) this.logger.error(`${label}: could not delete ${failure.filename}: ${failure.message}`);
    return { target, retentionDays, deleted, kept, notOwn, failed, keptBackups: keptWithLocks(keptBackups, locked, backups), locked };
  }

  /** One line for every backup a lock kept this time: expected with locked backups, so not an error. */
  private logLocked(label: string, locked: RotationResult['locked']): void {
    if (locked.length === 0) return;
    const dated = locked.filter((l) => l.retainUntil !== null).map((l) => l.retainUntil!.getTime());
    const until = dated.length ? `, locked until ${new Date(Math.min(...dated)).toISOString()} at the earliest` : '';
    const byRule = locked.some((l) => l.retainUntil === null) ? ' (the store refused to delete them because of a lock, such as an R2 bucket lock rule)' : '';
    this.logger.log(
      `${label}: kept ${locked.length} locked backups older than the retention${until}${byRule}: ${summarize(locked.map((l) => l.filename))}; ` +
        'a later rotation deletes them once their lock has passed',
    );
  }

  /** Increments whose chain could not be followed keep everything they might need: say so, and how to make it known. */
  private warnAboutGuessedChains(label: string, target: BackupTarget, guessed: string[]): void {
    if (guessed.length === 0) return;
    this.logger.warn(
      `${label}: the chain of ${guessed.length} kept ${guessed.length === 1 ? 'increment is' : 'increments is'} not recorded or is broken (${summarize(guessed)}), ` +
        "so every backup it might need was kept (see each kept backup's reasons), which may be more than it needs. " +
        `An increment this installation did not make records its chain when adopted (POST /api/backups/${target}/<filename>/adopt); one whose chain is broken cannot be restored and can be deleted`,
    );
  }

  /** Backups without an owner are left alone once another installation shares the target: say so, and how to let rotation manage them. */
  private warnAboutUnowned(label: string, target: BackupTarget, place: string, backups: BackupFile[]): void {
    const unowned = backups.filter((b) => b.owner === null && !b.own);
    if (unowned.length === 0) return;
    this.logger.warn(
      `${label}: left ${unowned.length} backups without an owner alone (made by an earlier version, e.g. ${unowned[unowned.length - 1].filename}) ` +
        `because another installation's backups are in the same ${place}; ` +
        `adopt the ones that are this installation's with POST /api/backups/${target}/<filename>/adopt so rotation manages them`,
    );
  }
}

/** The kept list with the backups the plan would delete but a job began to hold since (newest first, as the list). */
function keptWithHeld(kept: KeptBackup[], planned: BackupFile[], held: ReadonlyMap<string, string>, backups: BackupFile[]): KeptBackup[] {
  const newlyHeld = planned.filter((b) => held.has(b.filename));
  if (newlyHeld.length === 0) return kept;
  const reasons = new Map(kept.map((k) => [k.filename, k.reasons]));
  for (const b of newlyHeld) reasons.set(b.filename, [held.get(b.filename)!]);
  return backups.filter((b) => reasons.has(b.filename)).map((b) => ({ filename: b.filename, reasons: reasons.get(b.filename)! }));
}

/** The kept list with the locked backups in it too (newest first, as the list), each with why. */
function keptWithLocks(kept: KeptBackup[], locked: RotationResult['locked'], backups: BackupFile[]): KeptBackup[] {
  if (locked.length === 0) return kept;
  const reasons = new Map(kept.map((k) => [k.filename, k.reasons]));
  for (const l of locked) {
    reasons.set(l.filename, [l.retainUntil ? `locked until ${l.retainUntil.toISOString()}` : 'locked (the store refused to delete it)']);
  }
  return backups.filter((b) => reasons.has(b.filename)).map((b) => ({ filename: b.filename, reasons: reasons.get(b.filename)! }));
}

function summarize(names: string[]): string {
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 5).join(', ')} … ${names.slice(-5).join(', ')} (${names.length} in all)`;
}
