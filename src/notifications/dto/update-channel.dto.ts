import { ApiPropertyOptional } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import { CHANNEL_TYPES, type ChannelType, type SmtpSecurity } from '../notification-channel.js';
import { NOTIFICATION_EVENTS, type NotificationEventName } from '../notification-events.js';

/**
 * The fields POST and PUT /api/notifications/channels take. Every property is only @Allow'ed here, which
 * is also what lets the global ApiValidationPipe refuse any other field; the checks, which depend on the
 * channel's type, are in channel-input.ts and answer 400 naming the field.
 *
 * PUT: every field optional; an omitted field keeps its value, an omitted secret keeps its stored value. */
export class UpdateChannelDto {
  @ApiPropertyOptional({ example: 'Ops webhook', description: '1 to 100 characters, unique among the channels' })
  @Allow()
  name?: string;

  @ApiPropertyOptional({ enum: CHANNEL_TYPES, description: "Cannot change: send the channel's own type or omit it" })
  @Allow()
  type?: ChannelType;

  @ApiPropertyOptional({
    enum: NOTIFICATION_EVENTS,
    isArray: true,
    example: ['backup.failed', 'backup.overdue'],
    description:
      'The events the channel takes. Default on create: every failure (backup.failed, backup.overdue, verification.failed, rotation.failed, restore.failed, disk.low, replication.failed); ' +
      'for a ping channel backup.succeeded and backup.failed (it also pings /start when a backup starts)',
  })
  @Allow()
  events?: NotificationEventName[];

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    description: 'The targets whose events it takes; omitted on create or null: every target',
  })
  @Allow()
  targets?: string[] | null;

  @ApiPropertyOptional({ default: true, description: 'false: the channel takes nothing (its test still sends)' })
  @Allow()
  enabled?: boolean;

  @ApiPropertyOptional({
    example: 'https://hooks.slack.com/services/T000/B000/XXXX',
    description: 'webhook, slack, discord, ntfy (the topic URL), ping: an http(s) URL. Secret (it carries tokens): stored encrypted, never returned',
  })
  @Allow()
  url?: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'webhook: the shared secret of X-Sentinel-Signature (HMAC-SHA256 of the body). Secret; null removes it',
  })
  @Allow()
  secret?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    example: { Authorization: 'Bearer abc' },
    description:
      'webhook: extra request headers (at most 20). Names are HTTP tokens, not Content-Type, Host, Content-Length nor X-Sentinel-*; values are secret. ' +
      'Replaces every header; null removes them; omitted: kept',
  })
  @Allow()
  headers?: Record<string, string> | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'ntfy: an access token (sent as Authorization: Bearer). Secret; null removes it' })
  @Allow()
  token?: string | null;

  @ApiPropertyOptional({ example: 'smtp.example.com', description: 'email: the SMTP server' })
  @Allow()
  smtp_host?: string;

  @ApiPropertyOptional({ example: 587, description: 'email: 1 to 65535' })
  @Allow()
  smtp_port?: number;

  @ApiPropertyOptional({
    enum: ['none', 'starttls', 'tls'],
    description: 'email: starttls (port 587), tls (port 465) or none (with a password: only to a relay on this machine)',
  })
  @Allow()
  smtp_security?: SmtpSecurity;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'email: the SMTP user (then smtp_password is required); null: no authentication' })
  @Allow()
  smtp_user?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'email: the SMTP password. Secret; null removes it' })
  @Allow()
  smtp_password?: string | null;

  @ApiPropertyOptional({
    example: 'Sentinel Backup <sentinel@example.com>',
    description: 'email: the sender address, alone or with a display name (Name <address>)',
  })
  @Allow()
  from?: string;

  @ApiPropertyOptional({ type: [String], example: ['ops@example.com'], description: 'email: 1 to 20 recipient addresses' })
  @Allow()
  to?: string[];
}
