import { Injectable } from '@nestjs/common';
import { DiskSpaceLowEvent, DiskSpaceRecoveredEvent } from '../../backup/backup.events.js';
import { targetLabel } from '../../common/backup-target.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { OnDomainEvent } from '../../common/events/domain-event-bus.js';
import { formatBytes } from '../../common/format.js';
import { NotificationPublisher } from '../notification-publisher.js';
import { hintFor } from './failure-hints.js';
import { readableTime, written } from './notification-facts.js';
import { RepeatRule } from './repeat-rule.js';

/**
 * disk.low when a folder's disk becomes too short for the next backup, and once more when it has room
 * again. The watch (backup's DiskSpaceWatch) emits on changes only; the repeat rule, per folder, keeps a
 * restart (whose first check finds the disk short again) from telling it twice.
 */
@Injectable()
export class DiskSpaceRules {
  constructor(
    private readonly publisher: NotificationPublisher,
    private readonly repeat: RepeatRule,
  ) {}

  @OnDomainEvent(DiskSpaceLowEvent)
  async low(event: DiskSpaceLowEvent): Promise<void> {
    const which = event.targets.length ? `the next ${event.targets.map((target) => targetLabel(target)).join(' and ')} backup` : 'the next backup';
    await this.repeat.failed(
      { event: 'disk.low', subject: event.folder },
      (decision) =>
        written(
          this.publisher.publish({
            event: 'disk.low',
            target: event.targets.length === 1 ? event.targets[0] : null,
            title: `Low disk space in ${event.folder}`,
            message:
              `${event.folder} has ${formatBytes(event.freeBytes)} free; ${which} needs ${formatBytes(event.neededBytes)} there (its estimate, with a safety margin).` +
              (decision.send === 'reminder' ? ` Still so since ${readableTime(decision.since)}.` : ''),
            hint: hintFor(ErrorCode.InsufficientDiskSpace),
            error_code: ErrorCode.InsufficientDiskSpace,
            details: { folder: event.folder, free_bytes: event.freeBytes, needed_bytes: event.neededBytes, targets: event.targets },
          }),
        ),
      { counted: false },
    );
  }

  @OnDomainEvent(DiskSpaceRecoveredEvent)
  async recovered(event: DiskSpaceRecoveredEvent): Promise<void> {
    await this.repeat.recovered({ event: 'disk.low', subject: event.folder }, (recovery) =>
      written(
        this.publisher.publish({
          event: 'disk.low',
          target: event.targets.length === 1 ? event.targets[0] : null,
          title: `Disk space in ${event.folder} is enough again`,
          message: `${event.folder} has ${formatBytes(event.freeBytes)} free again, enough for the next backup (${formatBytes(event.neededBytes)}); it was short since ${readableTime(recovery.since)}.`,
          resolves: { event: 'disk.low', failures: recovery.failures, since: recovery.since },
          details: { folder: event.folder, free_bytes: event.freeBytes, needed_bytes: event.neededBytes, targets: event.targets },
        }),
      ),
    );
  }
}
