import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module.js';
import { CHANNEL_SENDERS, type ChannelSender } from './senders/channel-sender.js';
import { DiscordSender } from './senders/discord-sender.js';
import { EmailSender } from './senders/email-sender.js';
import { NotificationPublisher } from './notification-publisher.js';
import { NtfySender } from './senders/ntfy-sender.js';
import { PingSender } from './senders/ping-sender.js';
import { SlackSender } from './senders/slack-sender.js';
import { WebhookSender } from './senders/webhook-sender.js';

const SENDERS = [WebhookSender, SlackSender, DiscordSender, NtfySender, EmailSender, PingSender];

/**
 * Notifications (issue 15): channels (webhook, Slack, Discord, ntfy, email, ping), a durable outbox in
 * DATA_DIR/.notifications.db with retries across restarts, the rules that turn domain events into
 * notifications (with the repeat rule), and the API under /api/notifications.
 */
@Module({
  imports: [SettingsModule],
  providers: [...SENDERS, { provide: CHANNEL_SENDERS, useFactory: (...senders: ChannelSender[]) => senders, inject: SENDERS }, NotificationPublisher],
  exports: [NotificationPublisher],
})
export class NotificationsModule {}
