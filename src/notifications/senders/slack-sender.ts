import { Injectable } from '@nestjs/common';
import type { Notification } from '../notification.js';
import type { NotificationChannel } from '../notification-channel.js';
import type { ChannelSender, DeliveryReceipt } from './channel-sender.js';
import { deliverHttp, type Receiver } from './http-delivery.js';
import { redactSecrets } from './redact-secrets.js';
import { clip, facts } from './notification-text.js';

const RECEIVER: Receiver = {
  name: 'Slack',
  gone: 'the incoming webhook was deleted, its app removed or its channel archived: create a new incoming webhook in Slack and put its URL in the channel',
  refused: "Slack refused the webhook's token (invalid_token, action_prohibited): create a new incoming webhook in Slack and put its URL in the channel",
};

const ICON = { critical: ':rotating_light:', warning: ':warning:', info: ':white_check_mark:' } as const;

/** Slack's mrkdwn escapes: only &, < and > (https://api.slack.com/reference/surfaces/formatting#escaping). */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A Slack incoming-webhook message (Block Kit): `text` is the fallback shown in notifications, `blocks` the
 * message: a header (plain text, at most 150 characters), a section with the message and what to do (mrkdwn, at
 * most 3000), the facts as section fields (at most 10, 2000 each) and a context line with the time and the link.
 */
export function slackMessage(notification: Notification): Record<string, unknown> {
  const icon = ICON[notification.severity];
  const body = escape(notification.message) + (notification.hint ? `\n*What to do:* ${escape(notification.hint)}` : '');
  const context = [`Sentinel Backup · ${notification.time}`];
  if (notification.link) context.push(`<${notification.link}|Open the admin page>`);
  const fields = facts(notification).slice(0, 10);
  return {
    text: clip(`${icon} ${notification.title}: ${notification.message}`, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(notification.title, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(`${icon} ${body}`, 3000) } },
      ...(fields.length
        ? [{ type: 'section', fields: fields.map((fact) => ({ type: 'mrkdwn', text: clip(`*${fact.name}*\n${escape(fact.value)}`, 2000) })) }]
        : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: clip(context.join(' · '), 3000) }] },
    ],
  };
}

@Injectable()
export class SlackSender implements ChannelSender {
  readonly type = 'slack' as const;

  send(channel: NotificationChannel, notification: Notification, signal: AbortSignal): Promise<DeliveryReceipt> {
    if (channel.config.type !== 'slack') throw new Error(`SlackSender got a ${channel.config.type} channel`);
    return deliverHttp(
      RECEIVER,
      new URL(channel.config.url),
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(slackMessage(notification)) },
      signal,
      (text) => redactSecrets(text, channel),
    );
  }
}
