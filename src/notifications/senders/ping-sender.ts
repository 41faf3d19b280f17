import { Injectable } from '@nestjs/common';
import type { Notification } from '../notification.js';
import type { NotificationChannel } from '../notification-channel.js';
import type { ChannelSender, DeliveryReceipt } from './channel-sender.js';

/** STUB (issue 15): sends to a ping channel. */
@Injectable()
export class PingSender implements ChannelSender {
  readonly type = 'ping' as const;

  send(_channel: NotificationChannel, _notification: Notification, _signal: AbortSignal): Promise<DeliveryReceipt> {
    return Promise.reject(new Error('PingSender is not built yet'));
  }
}
