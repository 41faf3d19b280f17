import type { BackupTarget } from '../common/backup-target.js';
import type { NotificationEventName } from './notification-events.js';

export const CHANNEL_TYPES = ['webhook', 'slack', 'discord', 'ntfy', 'email', 'ping'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export type SmtpSecurity = 'none' | 'starttls' | 'tls';

/**
 * A channel as the senders see it, secrets decrypted (in memory only, for one delivery). What is secret:
 * every URL (webhook, Slack, Discord, ntfy and ping URLs carry tokens), the webhook's `secret` and header
 * values, ntfy's token, the SMTP password. The API never returns them; logs and errors never contain them.
 */
export interface NotificationChannel {
  id: string;
  name: string;
  type: ChannelType;
  /** The events it takes (ping channels: backup.succeeded / backup.failed, plus the start of each backup). */
  events: NotificationEventName[];
  /** The targets it takes; all when null. */
  targets: BackupTarget[] | null;
  enabled: boolean;
  config: ChannelConfig;
}

export type ChannelConfig =
  | { type: 'webhook'; url: string; secret: string | null; headers: Record<string, string> }
  | { type: 'slack'; url: string }
  | { type: 'discord'; url: string }
  | { type: 'ntfy'; url: string; token: string | null }
  | { type: 'ping'; url: string }
  | {
      type: 'email';
      smtp_host: string;
      smtp_port: number;
      smtp_security: SmtpSecurity;
      smtp_user: string | null;
      smtp_password: string | null;
      from: string;
      to: string[];
    };
