import { Injectable } from '@nestjs/common';
import type { Notification } from '../notification.js';
import type { NotificationChannel } from '../notification-channel.js';
import type { ChannelSender, DeliveryReceipt } from './channel-sender.js';
import { deliverHttp, type Receiver } from './http-delivery.js';
import { redactSecrets } from './redact-secrets.js';

const RECEIVER: Receiver = {
  name: 'The ntfy server',
  gone: 'it has nothing at that topic URL: check the url (https://ntfy.sh/your-topic, or your server and topic)',
  refused: "it refused access to the topic: set a token with write access to it (token), or check the topic's access rules on the server",
};

/** ntfy's priorities: 3 default, 4 high, 5 max (https://docs.ntfy.sh/publish/#message-priority). */
const PRIORITY = { info: '3', warning: '4', critical: '5' } as const;
/** Tags: the first that is an emoji short code is shown as the message's icon. */
const TAG = { info: 'white_check_mark', warning: 'warning', critical: 'rotating_light' } as const;

/** A header value in printable ASCII (fetch refuses other bytes): accents dropped, anything else as "?". */
function headerText(text: string, max: number): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > max ? `${ascii.slice(0, max - 3)}...` : ascii;
}

/** The request ntfy's publish API takes: POST to the topic URL, the message as the body, the rest in headers. */
export function ntfyRequest(notification: Notification, token: string | null): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {
    'Content-Type': 'text/plain; charset=utf-8',
    Title: headerText(notification.title, 250),
    Priority: PRIORITY[notification.severity],
    Tags: [TAG[notification.severity], 'sentinel-backup', notification.event, ...(notification.target ? [notification.target] : [])].join(','),
  };
  if (notification.link) headers.Click = notification.link;
  if (token) headers.Authorization = `Bearer ${token}`;
  const body = notification.message + (notification.hint ? `\n\nWhat to do: ${notification.hint}` : '');
  return { headers, body: body.slice(0, 4000) };
}

@Injectable()
export class NtfySender implements ChannelSender {
  readonly type = 'ntfy' as const;

  send(channel: NotificationChannel, notification: Notification, signal: AbortSignal): Promise<DeliveryReceipt> {
    if (channel.config.type !== 'ntfy') throw new Error(`NtfySender got a ${channel.config.type} channel`);
    const { headers, body } = ntfyRequest(notification, channel.config.token);
    return deliverHttp(RECEIVER, new URL(channel.config.url), { method: 'POST', headers, body }, signal, (text) => redactSecrets(text, channel));
  }
}
