import { Injectable } from '@nestjs/common';
import { OnDomainEvent } from '../../common/events/domain-event-bus.js';
import { TargetsChangedEvent } from '../../targets/targets-changed.event.js';
import { type AlertKey, RepeatRule } from './repeat-rule.js';

/** The failures the repeat rule counts per target (disk.low is per folder, not per target). */
const PER_TARGET: ReadonlyArray<AlertKey['event']> = ['backup.failed', 'backup.overdue', 'replication.failed'];

/**
 * A deleted target's failures end with it: a target added later under the same id starts with none, so its
 * first failure is news (not a reminder of the deleted one's) and its "works again" counts only its own.
 */
@Injectable()
export class RemovedTargetAlerts {
  constructor(private readonly repeat: RepeatRule) {}

  @OnDomainEvent(TargetsChangedEvent)
  async onTargetsChanged(event: TargetsChangedEvent): Promise<void> {
    if (event.change !== 'removed') return;
    for (const kind of PER_TARGET) await this.repeat.forget({ event: kind, subject: event.id });
  }
}
