import { Inject, Injectable } from '@nestjs/common';
import { formatDuration } from '../common/format.js';
import type { Notification } from './notification.js';
import type { NotificationChannel } from './notification-channel.js';
import { NotificationOptions } from './notification-options.js';
import { CHANNEL_SENDERS, type ChannelSender, DeliveryError } from './senders/channel-sender.js';
import { redactSecrets } from './senders/redact-secrets.js';

/** One try's result, with every secret of the channel taken out of the words; `retryAfterMs`: the receiver's Retry-After. */
export type AttemptResult =
  | { delivered: true; answer: string }
  | { delivered: false; message: string; answer: string | null; retryable: boolean; stopped: boolean; retryAfterMs?: number | null };

/**
 * When a failed delivery is tried next: after the outbox's backoff, or after the wait the receiver asked for
 * (Retry-After, already capped at an hour) when that is longer. The receiver's wait never pushes the next try
 * past `deadline` (the give-up time): a try is still made then. A backoff that passes it gives up, as before.
 */
export function nextAttemptAt(at: Date, backoffMs: number, retryAfterMs: number | null | undefined, deadline: number): Date {
  const backoff = at.getTime() + backoffMs;
  if (!retryAfterMs) return new Date(backoff);
  return new Date(Math.max(backoff, Math.min(at.getTime() + retryAfterMs, deadline)));
}

/**
 * Sends one notification through one channel's sender, once, within the per-attempt time limit: what both the
 * dispatcher and a channel's test do. Never throws; a sender's unexpected error becomes a retryable failure.
 */
@Injectable()
export class DeliveryAttempts {
  private readonly senders: Map<string, ChannelSender>;

  constructor(
    @Inject(CHANNEL_SENDERS) senders: ChannelSender[],
    private readonly options: NotificationOptions,
  ) {
    this.senders = new Map(senders.map((sender) => [sender.type, sender]));
  }

  /** `stop` aborts the try (the service is stopping): the result then has `stopped: true`. */
  async send(channel: NotificationChannel, notification: Notification, stop?: AbortSignal): Promise<AttemptResult> {
    const sender = this.senders.get(channel.type);
    if (!sender) return { delivered: false, message: `No sender for channel type ${channel.type}`, answer: null, retryable: false, stopped: false };
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error('timeout')), this.options.sendTimeoutMs);
    const signal = stop ? AbortSignal.any([timeout.signal, stop]) : timeout.signal;
    const clean = (text: string) => redactSecrets(text, channel);
    try {
      const receipt = await sender.send(channel, notification, signal);
      return { delivered: true, answer: clean(receipt.answer) };
    } catch (error) {
      if (stop?.aborted) {
        return {
          delivered: false,
          message: 'Stopped: the service was stopping; it is sent again at the next start',
          answer: null,
          retryable: true,
          stopped: true,
        };
      }
      if (timeout.signal.aborted) {
        return {
          delivered: false,
          message: `The receiver did not answer within ${formatDuration(this.options.sendTimeoutMs)}: it is down, overloaded or unreachable from this server (a firewall dropping the connection)`,
          answer: null,
          retryable: true,
          stopped: false,
        };
      }
      if (error instanceof DeliveryError) {
        return {
          delivered: false,
          message: clean(error.message),
          answer: error.answer === null ? null : clean(error.answer),
          retryable: error.retryable,
          stopped: false,
          retryAfterMs: error.retryAfterMs,
        };
      }
      return {
        delivered: false,
        message: clean(`Unexpected error while sending: ${error instanceof Error ? error.message : String(error)}`),
        answer: null,
        retryable: true,
        stopped: false,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
