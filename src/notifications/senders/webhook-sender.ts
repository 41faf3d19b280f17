import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import type { Notification } from '../notification.js';
import type { NotificationChannel } from '../notification-channel.js';
import type { ChannelSender, DeliveryReceipt } from './channel-sender.js';
import { deliverHttp, type Receiver } from './http-delivery.js';
import { redactSecrets } from './redact-secrets.js';

const RECEIVER: Receiver = {
  name: 'The webhook receiver',
  gone: "nothing is at that address any more (the endpoint was removed or renamed): check the channel's url",
  refused: 'it refused the request: check the credentials it expects (a custom Authorization header, or the token in the url)',
};

/** The signature header's value: `sha256=` and the hex HMAC-SHA256 of the raw body under the channel's secret. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * The generic webhook: POSTs the Notification as JSON (docs/notifications.md), with `X-Sentinel-Event`,
 * `X-Sentinel-Delivery` (the notification's id: the same across retries, the receiver's idempotency key) and,
 * when the channel has a secret, `X-Sentinel-Signature`; the user's own headers go along.
 */
@Injectable()
export class WebhookSender implements ChannelSender {
  readonly type = 'webhook' as const;

  send(channel: NotificationChannel, notification: Notification, signal: AbortSignal): Promise<DeliveryReceipt> {
    if (channel.config.type !== 'webhook') throw new Error(`WebhookSender got a ${channel.config.type} channel`);
    const { url, secret, headers } = channel.config;
    const body = JSON.stringify(notification);
    return deliverHttp(
      RECEIVER,
      new URL(url),
      {
        method: 'POST',
        headers: {
          ...headers,
          'Content-Type': 'application/json',
          'X-Sentinel-Event': notification.event,
          'X-Sentinel-Delivery': notification.id,
          ...(secret ? { 'X-Sentinel-Signature': webhookSignature(secret, body) } : {}),
        },
        body,
      },
      signal,
      (text) => redactSecrets(text, channel),
    );
  }
}
