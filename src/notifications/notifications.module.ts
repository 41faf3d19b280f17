import { Module } from '@nestjs/common';
import { BackupModule } from '../backup/backup.module.js';
import { AppConfig } from '../config/app-config.js';
import { MonitoringModule } from '../monitoring/monitoring.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { TargetsModule } from '../targets/targets.module.js';
import { DeliveryAttempts } from './delivery-attempts.js';
import { NotificationChannels } from './notification-channels.service.js';
import { NotificationDispatcher } from './notification-dispatcher.js';
import { NotificationOptions } from './notification-options.js';
import { NotificationPublisher } from './notification-publisher.js';
import { NotificationsController } from './notifications.controller.js';
import { AlertStateStore } from './rules/alert-state.store.js';
import { BackupRules } from './rules/backup-rules.js';
import { CheckRules } from './rules/check-rules.js';
import { DiskSpaceRules } from './rules/disk-space-rules.js';
import { NotificationFacts } from './rules/notification-facts.js';
import { RemovedTargetAlerts } from './rules/removed-target-alerts.js';
import { OverdueWatch } from './rules/overdue-watch.js';
import { RepeatRule } from './rules/repeat-rule.js';
import { ReplicationRules } from './rules/replication-rules.js';
import { RestoreRules } from './rules/restore-rules.js';
import { CHANNEL_SENDERS, type ChannelSender } from './senders/channel-sender.js';
import { DiscordSender } from './senders/discord-sender.js';
import { EmailSender } from './senders/email-sender.js';
import { NtfySender } from './senders/ntfy-sender.js';
import { PingSender } from './senders/ping-sender.js';
import { SlackSender } from './senders/slack-sender.js';
import { WebhookSender } from './senders/webhook-sender.js';
import { ChannelStore } from './store/channel-store.js';
import { DeliveryOutbox } from './store/delivery-outbox.js';
import { NotificationsDatabase } from './store/notifications-database.js';

const SENDERS = [WebhookSender, SlackSender, DiscordSender, NtfySender, EmailSender, PingSender];

/** What is notified, when and how often (docs/notifications.md, "What is notified"). */
const RULES = [
  AlertStateStore,
  RepeatRule,
  NotificationFacts,
  BackupRules,
  ReplicationRules,
  RestoreRules,
  CheckRules,
  DiskSpaceRules,
  OverdueWatch,
  RemovedTargetAlerts,
];

/**
 * Notifications (issue 15): channels (webhook, Slack, Discord, ntfy, email, ping), a durable outbox in
 * DATA_DIR/.notifications.db with retries across restarts, the rules that turn domain events into
 * notifications (with the repeat rule), and the API under /api/notifications.
 */
@Module({
  imports: [SettingsModule, BackupModule, MonitoringModule, TargetsModule],
  controllers: [NotificationsController],
  providers: [
    ...SENDERS,
    { provide: CHANNEL_SENDERS, useFactory: (...senders: ChannelSender[]) => senders, inject: SENDERS },
    { provide: NotificationOptions, inject: [AppConfig], useFactory: (config: AppConfig) => NotificationOptions.fromEnvironment(config.env) },
    NotificationsDatabase,
    ChannelStore,
    DeliveryOutbox,
    DeliveryAttempts,
    NotificationDispatcher,
    NotificationPublisher,
    NotificationChannels,
    ...RULES,
  ],
  exports: [NotificationPublisher],
})
export class NotificationsModule {}
