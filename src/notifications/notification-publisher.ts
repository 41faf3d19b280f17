import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock.js';
import type { Notification, NotificationInput } from './notification.js';
import { EVENT_SEVERITY } from './notification-events.js';
import { NotificationDispatcher } from './notification-dispatcher.js';
import { NotificationOptions } from './notification-options.js';
import type { StoredChannel } from './store/channel-store.js';
import { DeliveryOutbox } from './store/delivery-outbox.js';

/**
 * The one way into the outbox: the rules (NotificationRules, the overdue watch) call `publish`, and it
 * writes one pending delivery per enabled channel that takes the event and target, durably, before
 * anything is sent; then it wakes the dispatcher. It never throws and never waits for a receiver, so a
 * notification can neither fail nor slow the backup, restore or schedule it tells of.
 */
@Injectable()
export class NotificationPublisher {
  private readonly logger = new Logger('Notifications');

  constructor(
    private readonly outbox: DeliveryOutbox,
    private readonly dispatcher: NotificationDispatcher,
    private readonly options: NotificationOptions,
    private readonly clock: Clock,
  ) {}

  /** Resolves once the deliveries are on disk (to the notification written, or undefined when it could not be). */
  async publish(input: NotificationInput): Promise<Notification | undefined> {
    try {
      const notification = this.notificationOf(input);
      const queued = await this.outbox.enqueue(notification, (channels) => channels.filter((channel) => takes(channel, notification)));
      if (queued > 0) this.dispatcher.wake();
      return notification;
    } catch (error) {
      this.logger.error(`The notification ${input.event} ${input.target ?? ''} could not be written to the outbox: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** The notification as every channel renders it (the generic webhook's body). */
  notificationOf(input: NotificationInput): Notification {
    return {
      id: randomUUID(),
      event: input.event,
      severity: EVENT_SEVERITY[input.event],
      target: input.target,
      time: input.time ?? this.clock.now().toISOString(),
      title: input.title,
      message: input.message,
      hint: input.hint ?? null,
      error_code: input.error_code ?? null,
      last_success: input.last_success ?? null,
      link: this.options.publicUrl,
      resolves: input.resolves ?? null,
      details: input.details ?? {},
      log_lines: input.log_lines ?? [],
    };
  }
}

/**
 * Whether an enabled channel takes a notification: its target is one of the channel's (or the notification has
 * none), and the event is one of its events, or it ends one of them (a "works again" message), or it is the
 * start of a backup and the channel is a ping channel (the dead-man's switch's /start).
 */
function takes(channel: StoredChannel, notification: Notification): boolean {
  if (!channel.enabled) return false;
  if (notification.target !== null && channel.targets !== null && !channel.targets.includes(notification.target)) return false;
  if (notification.event === 'backup.started') return channel.type === 'ping';
  if (notification.event === 'test') return false;
  return (channel.events as string[]).includes(notification.event) || (notification.resolves !== null && channel.events.includes(notification.resolves.event));
}
