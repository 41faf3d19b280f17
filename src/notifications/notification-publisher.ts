import { Injectable, Logger } from '@nestjs/common';
import type { NotificationInput } from './notification.js';

/**
 * The one way into the outbox: the rules (NotificationRules, the overdue watch) call `publish`, and it
 * writes one pending delivery per enabled channel that takes the event and target, durably, before
 * anything is sent; then it wakes the dispatcher. It never throws and never waits for a receiver, so a
 * notification can neither fail nor slow the backup, restore or schedule it tells of.
 *
 * STUB (issue 15): logs instead of writing the outbox.
 */
@Injectable()
export class NotificationPublisher {
  private readonly logger = new Logger(NotificationPublisher.name);

  async publish(input: NotificationInput): Promise<void> {
    this.logger.log(`(not delivered: the outbox is not built yet) ${input.event} ${input.target ?? '-'}: ${input.title}`);
  }
}
