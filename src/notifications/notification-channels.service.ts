import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { TargetRoster } from '../targets/target-roster.js';
import { parseChannelInput } from './channel-input.js';
import { DeliveryAttempts } from './delivery-attempts.js';
import { NotificationPublisher } from './notification-publisher.js';
import { ChannelSecretUnreadable } from './store/channel-secret-unreadable.js';
import { channelNotFound, ChannelStore, type StoredChannel } from './store/channel-store.js';
import { DeliveryOutbox } from './store/delivery-outbox.js';
import { NotificationsDatabase } from './store/notifications-database.js';

/** The answer of a channel's test. */
export interface ChannelTestResult {
  delivered: boolean;
  answer: string | null;
  message: string;
  deliveryId: number;
}

/** What the channels API does: create, change and delete channels (checked, secrets sealed), and test one. */
@Injectable()
export class NotificationChannels {
  private readonly logger = new Logger('Notifications');

  constructor(
    private readonly store: ChannelStore,
    private readonly outbox: DeliveryOutbox,
    private readonly database: NotificationsDatabase,
    private readonly attempts: DeliveryAttempts,
    private readonly publisher: NotificationPublisher,
    private readonly clock: Clock,
    private readonly targets: TargetRoster,
  ) {}

  list(): Promise<StoredChannel[]> {
    return this.store.list();
  }

  get(id: string): Promise<StoredChannel> {
    return this.store.get(id);
  }

  async create(body: Record<string, unknown>): Promise<StoredChannel> {
    const channel = await this.store.create(parseChannelInput(body, await this.targets.ids()));
    this.logger.log(`Channel '${channel.name}' (${channel.type}) created`);
    return channel;
  }

  async update(id: string, body: Record<string, unknown>): Promise<StoredChannel> {
    const stored = await this.store.get(id);
    const channel = await this.store.update(id, parseChannelInput(body, await this.targets.ids(), stored));
    this.logger.log(`Channel '${channel.name}' (${channel.type}) changed`);
    return channel;
  }

  /** Deletes the channel; its pending deliveries stay in the log, given up ("the channel was deleted"). */
  async delete(id: string): Promise<void> {
    const name = await this.database.transaction(async (manager) => {
      const row = await this.store.find(manager, id);
      await this.outbox.giveUpChannel(manager, id, 'the channel was deleted', this.clock.now());
      await manager.remove(row);
      return row.name;
    });
    this.logger.log(`Channel '${name}' deleted`);
  }

  /**
   * Sends a real `test` notification through the channel's sender, now (not through the outbox: the user is
   * waiting), within the per-attempt time limit, and records it in the delivery log. Sent also when the channel
   * is disabled: the test is how a user checks it before turning it on.
   */
  async test(id: string): Promise<ChannelTestResult> {
    const stored = await this.store.get(id);
    const notification = this.publisher.notificationOf({
      event: 'test',
      target: null,
      title: 'Sentinel Backup test notification',
      message: `This is a test of the channel '${stored.name}'. If you can read it, the channel works.`,
    });
    let channel;
    try {
      channel = await this.store.channel(id);
    } catch (error) {
      if (!(error instanceof ChannelSecretUnreadable)) throw error;
      throw new DomainError(ErrorCode.SecretUnreadable, error.message, { field: error.field });
    }
    if (!channel) throw channelNotFound(id);
    const result = await this.attempts.send(channel, notification);
    const at = this.clock.now();
    const message = result.delivered ? `Delivered: the receiver answered ${result.answer}` : result.message;
    const deliveryId = await this.outbox.record(
      stored,
      notification,
      result.delivered
        ? { kind: 'delivered', answer: result.answer }
        : { kind: 'given_up', error: result.message, answer: result.answer, reason: `test failed: ${result.message}` },
      at,
    );
    this.logger.log(`Test of channel '${stored.name}' (${stored.type}): ${message}`);
    return { delivered: result.delivered, answer: result.answer, message, deliveryId };
  }
}
