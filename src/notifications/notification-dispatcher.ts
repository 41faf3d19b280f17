import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { Clock } from '../common/clock.js';
import { DeliveryAttempts, nextAttemptAt } from './delivery-attempts.js';
import type { Notification } from './notification.js';
import { NotificationOptions } from './notification-options.js';
import { ChannelSecretUnreadable } from './store/channel-secret-unreadable.js';
import { ChannelStore } from './store/channel-store.js';
import type { DeliveryEntity } from './store/delivery.entity.js';
import { type AttemptOutcome, DeliveryOutbox } from './store/delivery-outbox.js';

const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Sends what the outbox holds. One lane per channel: the channel's oldest pending delivery is tried, and the
 * next only once it is delivered or given up, so a channel gets its notifications in order; lanes run side by
 * side, so a receiver that hangs delays only its own channel (and never the job that published: publishing
 * only writes the outbox). A failed try is retried after a delay that doubles from the first retry delay up to
 * one minute; a delivery still failing a day after it was written, or refused for good (DeliveryError not
 * retryable), is given up with why. Pending deliveries are tried at every start.
 *
 * A try's outcome is on disk before the channel's next try: when recording it fails (a full disk), the lane
 * keeps the outcome and retries only the write, with the same backoff, and sends nothing to that channel until
 * it is recorded. Otherwise the delivery, still pending on disk and due, would be sent again at once, in a loop.
 *
 * Stopping aborts the tries in flight and waits for them: an aborted delivery stays pending, as it was, and
 * nothing is sent after the module is destroyed.
 */
@Injectable()
export class NotificationDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Notifications');
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly stop = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;

  constructor(
    private readonly outbox: DeliveryOutbox,
    private readonly channels: ChannelStore,
    private readonly attempts: DeliveryAttempts,
    private readonly options: NotificationOptions,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    void this.prune();
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS).unref();
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    this.stop.abort();
    clearTimeout(this.timer);
    clearInterval(this.pruneTimer);
    await this.pumping;
    await Promise.all(this.lanes.values());
  }

  /** Looks for due deliveries now (after a publish, a finished try, a timer). */
  wake(): void {
    if (this.stop.signal.aborted) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.pump()
      .catch((error: unknown) => this.logger.error(`The outbox could not be read: ${(error as Error).message}; pending notifications wait for the next try`))
      .finally(() => {
        this.pumping = undefined;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.wake();
        }
      });
  }

  private async pump(): Promise<void> {
    const heads = await this.outbox.heads();
    if (this.stop.signal.aborted) return;
    const now = this.clock.now().getTime();
    let nextDue = Number.POSITIVE_INFINITY;
    for (const head of heads) {
      if (this.lanes.has(head.channelId)) continue;
      const due = head.nextAttemptAt ? Date.parse(head.nextAttemptAt) : now;
      if (due <= now) {
        const lane = this.attempt(head)
          .catch((error: unknown) => this.logger.error(`Delivery ${head.id} was not finished: ${(error as Error).message}`))
          .finally(() => {
            this.lanes.delete(head.channelId);
            this.wake();
          });
        this.lanes.set(head.channelId, lane);
      } else {
        nextDue = Math.min(nextDue, due);
      }
    }
    clearTimeout(this.timer);
    if (Number.isFinite(nextDue)) this.timer = setTimeout(() => this.wake(), Math.max(0, nextDue - now)).unref();
  }

  private async attempt(delivery: DeliveryEntity): Promise<void> {
    const notification = JSON.parse(delivery.notification) as Notification;
    const label = `${notification.event}${notification.target ? ` (${notification.target})` : ''} to channel '${delivery.channelName}' (${delivery.channelType})`;
    const started = this.clock.now();
    let channel;
    try {
      channel = await this.channels.channel(delivery.channelId);
    } catch (error) {
      if (!(error instanceof ChannelSecretUnreadable)) throw error;
      return this.finish(delivery, label, delivery.attempts, { kind: 'given_up', error: error.message, answer: null, reason: error.message }, started);
    }
    if (!channel)
      return this.finish(delivery, label, delivery.attempts, { kind: 'given_up', error: null, answer: null, reason: 'the channel was deleted' }, started);
    if (!channel.enabled) {
      return this.finish(
        delivery,
        label,
        delivery.attempts,
        { kind: 'given_up', error: null, answer: null, reason: 'the channel was disabled before it was sent' },
        started,
      );
    }
    const result = await this.attempts.send(channel, notification, this.stop.signal);
    if (!result.delivered && result.stopped) return; // left pending, as it was: tried again at the next start
    const at = this.clock.now();
    const attempts = delivery.attempts + 1;
    if (result.delivered) return this.finish(delivery, label, attempts, { kind: 'delivered', answer: result.answer }, at);
    if (!result.retryable) {
      return this.finish(
        delivery,
        label,
        attempts,
        { kind: 'given_up', error: result.message, answer: result.answer, reason: `refused: ${result.message}` },
        at,
      );
    }
    const next = nextAttemptAt(at, this.retryDelay(attempts), result.retryAfterMs, Date.parse(delivery.createdAt) + this.options.giveUpAfterMs);
    if (next.getTime() - Date.parse(delivery.createdAt) > this.options.giveUpAfterMs) {
      const reason = `still failing after ${attempts} tries in ${Math.round(this.options.giveUpAfterMs / 3_600_000)} hours; the last: ${result.message}`;
      return this.finish(delivery, label, attempts, { kind: 'given_up', error: result.message, answer: result.answer, reason }, at);
    }
    return this.finish(delivery, label, attempts, { kind: 'retry', error: result.message, answer: result.answer, nextAttemptAt: next }, at);
  }

  private async finish(delivery: DeliveryEntity, label: string, attempts: number, outcome: AttemptOutcome, at: Date): Promise<void> {
    await this.record(delivery, label, attempts, outcome, at);
    if (outcome.kind === 'delivered') this.logger.log(`Notification ${label} delivered: ${outcome.answer}`);
    else if (outcome.kind === 'retry')
      this.logger.warn(`Notification ${label}: try ${attempts} failed: ${outcome.error}; next try at ${outcome.nextAttemptAt.toISOString()}`);
    else this.logger.error(`Notification ${label} given up: ${outcome.reason}`);
  }

  /**
   * Writes a try's outcome, retrying the write (never the send) with backoff until it is on disk; the lane, and
   * so the channel, waits meanwhile. At shutdown it tries once more and gives up: the delivery is still pending
   * on disk, so the next start sends it again (once).
   */
  private async record(delivery: DeliveryEntity, label: string, attempts: number, outcome: AttemptOutcome, at: Date): Promise<void> {
    for (let failures = 1; ; failures++) {
      try {
        await this.outbox.finish(delivery.id, attempts, outcome, at);
        if (failures > 1) this.logger.log(`The outcome of delivery ${delivery.id} (${label}) is recorded now`);
        return;
      } catch (error) {
        if (this.stop.signal.aborted) {
          throw new Error(
            `the outcome (${outcome.kind}) of delivery ${delivery.id} (${label}) could not be recorded before the service stopped ` +
              `(${(error as Error).message}); it is still pending and is sent again at the next start`,
            { cause: error },
          );
        }
        const wait = this.retryDelay(failures);
        this.logger.error(
          `The outcome (${outcome.kind}) of delivery ${delivery.id} (${label}) could not be recorded: ${(error as Error).message}; ` +
            `it is not sent again; the record is retried in ${wait} ms, and the channel's next deliveries wait for it. Free space in DATA_DIR`,
        );
        await delay(wait, undefined, { signal: this.stop.signal }).catch(() => undefined);
      }
    }
  }

  /** After the n-th failed try: the first retry delay, doubled per try, at most one minute. */
  private retryDelay(attempts: number): number {
    return Math.min(this.options.maxRetryDelayMs, this.options.retryBaseDelayMs * 2 ** Math.min(attempts - 1, 20));
  }

  private async prune(): Promise<void> {
    try {
      const removed = await this.outbox.prune(new Date(this.clock.now().getTime() - this.options.keepFinishedMs), this.options.keepFinishedRows);
      if (removed > 0) this.logger.log(`Pruned ${removed} old entries from the delivery log`);
    } catch (error) {
      if (!this.stop.signal.aborted) this.logger.warn(`The delivery log could not be pruned: ${(error as Error).message}`);
    }
  }
}
