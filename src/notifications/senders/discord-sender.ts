import { Injectable } from '@nestjs/common';
import type { Notification } from '../notification.js';
import type { NotificationChannel } from '../notification-channel.js';
import type { ChannelSender, DeliveryReceipt } from './channel-sender.js';
import { deliverHttp, type Receiver } from './http-delivery.js';
import { redactSecrets } from './redact-secrets.js';
import { clip, facts } from './notification-text.js';

const RECEIVER: Receiver = {
  name: 'Discord',
  gone: "the webhook was deleted (Unknown Webhook): create a new one in the Discord channel's Integrations settings and put its URL in the channel",
  refused: "Discord refused the webhook's token (Invalid Webhook Token): copy the webhook URL again from Discord",
};

/** Embed colours by severity (red, amber, green). */
const COLOR = { critical: 0xd32f2f, warning: 0xf9a825, info: 0x2e7d32 } as const;

/** Discord's documented embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
const LIMITS = { title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, total: 6000 };

/**
 * A Discord webhook message: one embed with title, description (the message and what to do), colour by
 * severity, the facts as inline fields, the time as its timestamp and the link as its URL. Mentions are off
 * (`allowed_mentions`), so an "@everyone" inside an error message pings nobody. The embed stays within
 * Discord's limits, its 6000-character total included.
 */
export function discordMessage(notification: Notification): Record<string, unknown> {
  const title = clip(notification.title, LIMITS.title);
  const footer = 'Sentinel Backup';
  const fields = facts(notification)
    .slice(0, LIMITS.fields)
    .map((fact) => ({ name: clip(fact.name, LIMITS.fieldName), value: clip(fact.value, LIMITS.fieldValue), inline: true }));
  const used = title.length + footer.length + fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0);
  const text = notification.message + (notification.hint ? `\n\n**What to do:** ${notification.hint}` : '');
  const description = clip(text, Math.max(0, Math.min(LIMITS.description, LIMITS.total - used)));
  return {
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title,
        description,
        color: COLOR[notification.severity],
        fields,
        timestamp: notification.time,
        ...(notification.link ? { url: notification.link } : {}),
        footer: { text: footer },
      },
    ],
  };
}

@Injectable()
export class DiscordSender implements ChannelSender {
  readonly type = 'discord' as const;

  send(channel: NotificationChannel, notification: Notification, signal: AbortSignal): Promise<DeliveryReceipt> {
    if (channel.config.type !== 'discord') throw new Error(`DiscordSender got a ${channel.config.type} channel`);
    return deliverHttp(
      RECEIVER,
      new URL(channel.config.url),
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(discordMessage(notification)) },
      signal,
      (text) => redactSecrets(text, channel),
    );
  }
}
