import { Injectable, Logger } from '@nestjs/common';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { TargetDirectory } from '../targets/target-directory.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { BackupCatalogService, type BackupFile } from './backup-catalog.service.js';
import { RotationCompletedEvent } from './backup.events.js';

/** However old they are, this many of the newest backups are always kept (the spec's minimum). */
export const MINIMUM_KEPT = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RotationResult {
  target: BackupTarget;
  retentionDays: number;
  deleted: string[];
  kept: number;
  /** Kept because they are not this installation's: another installation's, or without an owner while one shares the target. */
  notOwn: number;
  failed: Array<{ filename: string; message: string }>;
}

/**
 * Deletes backups older than the target's retention days, always keeping the newest three;
 * retention 0 keeps everything. Plain and encrypted backups count together, by the time in their names. Age comes from the name, never from an object's modification time.
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
  ) {}

  /** Rotates `target` once; RotationCompletedEvent says what it did (it is not emitted when the rotation could not list the backups). */
  async rotate(target: BackupTarget): Promise<RotationResult> {
    const result = await this.deleteExpired(target);
    this.events.emit(new RotationCompletedEvent(target, result.deleted, result.kept, result.failed));
    return result;
  }

  private async deleteExpired(target: BackupTarget): Promise<RotationResult> {
    const label = `${targetLabel(target)} backup rotation`;
    const definition = await this.targets.get(target);
    const retentionDays = definition.retention.retentionDays;
    const backups = await this.catalog.list(target); // newest first
    const own = backups.filter((b) => b.own);
    const notOwn = backups.length - own.length;
    this.warnAboutUnowned(label, target, definition.kind === 's3' ? 'bucket' : 'folder', backups);
    const others = notOwn ? ` and ${notOwn} not this installation's` : '';
    if (retentionDays === 0) {
      this.logger.log(`${label}: retention is 0 (keep forever); kept all ${backups.length} backups`);
      return { target, retentionDays, deleted: [], kept: backups.length, notOwn, failed: [] };
    }
    const cutoff = this.clock.now().getTime() - retentionDays * DAY_MS;
    const expired = own
      .slice(MINIMUM_KEPT)
      .filter((b) => b.createdAt.getTime() < cutoff)
      .reverse();
    if (expired.length === 0) {
      this.logger.log(`${label}: nothing older than ${retentionDays} days to delete; kept ${backups.length} backups${others}`);
      return { target, retentionDays, deleted: [], kept: backups.length, notOwn, failed: [] };
    }
    const result = await (await this.storage.get(target)).deleteMany(expired.map((b) => b.filename));
    const failed = result.failed.map((f) => ({ filename: f.key, message: f.message }));
    const deleted = expired.map((b) => b.filename).filter((name) => result.deleted.includes(name));
    for (const name of deleted) await this.catalog.forget(target, name);
    // A key reported failed may have lost its archive and kept a marker (the archive goes first): its record goes too.
    for (const failure of failed) if (await this.catalog.isGone(target, failure.filename)) await this.catalog.forget(target, failure.filename);
    const kept = backups.length - deleted.length;
    this.logger.log(
      `${label}: deleted ${deleted.length} backups older than ${retentionDays} days, kept ${kept} (newest ${MINIMUM_KEPT} always kept${others})` +
        (deleted.length ? `; deleted: ${summarize(deleted)}` : ''),
    );
    for (const failure of failed) this.logger.error(`${label}: could not delete ${failure.filename}: ${failure.message}`);
    return { target, retentionDays, deleted, kept, notOwn, failed };
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

function summarize(names: string[]): string {
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 5).join(', ')} … ${names.slice(-5).join(', ')} (${names.length} in all)`;
}
