import type { Notification } from '../notification.js';
import type { ChannelType, NotificationChannel } from '../notification-channel.js';

/** What the receiver answered to a delivery that it accepted, in words for the delivery log ("HTTP 200: ok", "250 2.0.0 queued"). */
export interface DeliveryReceipt {
  answer: string;
}

/**
 * A delivery that failed. `message` says what was wrong and what to do, in words a user can act on
 * ("the Slack webhook answered 404: it was deleted; create a new one and update the channel") and never
 * contains a URL, token or password. `retryable` is false when trying again cannot help (a 400 or 404,
 * refused authentication): the outbox then gives up at once instead of retrying for a day.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** What the receiver answered, if it answered (status and a bounded, secret-free excerpt). */
    readonly answer: string | null = null,
    /** How long the receiver asked to wait before the next try (its Retry-After, capped), if it said. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/**
 * The port of one channel type: renders a notification in the receiver's format and sends it, once. No
 * retries here (the outbox retries); `signal` aborts a receiver that hangs (the outbox's timeout).
 */
export interface ChannelSender {
  readonly type: ChannelType;
  send(channel: NotificationChannel, notification: Notification, signal: AbortSignal): Promise<DeliveryReceipt>;
}

/** Injection token: every ChannelSender (one per ChannelType), provided by NotificationsModule. */
export const CHANNEL_SENDERS = Symbol('CHANNEL_SENDERS');
