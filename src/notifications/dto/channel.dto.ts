import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNEL_TYPES, type ChannelType, type SmtpSecurity } from '../notification-channel.js';
import { NOTIFICATION_EVENTS, type NotificationEventName } from '../notification-events.js';

/** A channel as the API shows it: its non-secret fields, and for each secret only whether it is set (or the URL's scheme and host). */
export class ChannelDto {
  @ApiProperty({ example: '6f1c8e5e-2d1a-4c57-9c0e-0d6a1b7f6c11' })
  id: string;

  @ApiProperty({ example: 'Ops webhook' })
  name: string;

  @ApiProperty({ enum: CHANNEL_TYPES })
  type: ChannelType;

  @ApiProperty({ enum: NOTIFICATION_EVENTS, isArray: true })
  events: NotificationEventName[];

  @ApiProperty({ type: [String], nullable: true, example: ['r2'], description: 'Target ids; null: every target' })
  targets: string[] | null;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'https://hooks.slack.com',
    description: "The URL's scheme and host only (the rest carries tokens and is never returned); null for email",
  })
  url_host: string | null;

  @ApiPropertyOptional({
    enum: ['healthchecks', 'uptime-kuma', 'cronitor'],
    description: 'ping: how the URL is pinged (docs/notifications.md: healthchecks.io shape unless the URL is an Uptime Kuma push URL or a cronitor.link one)',
  })
  ping_style?: 'healthchecks' | 'uptime-kuma' | 'cronitor';

  @ApiPropertyOptional({ description: 'webhook: a signing secret is set' })
  secret_set?: boolean;

  @ApiPropertyOptional({ type: [String], description: 'webhook: the names of the custom headers (their values are secret)' })
  header_names?: string[];

  @ApiPropertyOptional({ description: 'ntfy: an access token is set' })
  token_set?: boolean;

  @ApiPropertyOptional()
  smtp_host?: string;

  @ApiPropertyOptional()
  smtp_port?: number;

  @ApiPropertyOptional({ enum: ['none', 'starttls', 'tls'] })
  smtp_security?: SmtpSecurity;

  @ApiPropertyOptional({ type: String, nullable: true })
  smtp_user?: string | null;

  @ApiPropertyOptional({ description: 'email: an SMTP password is set' })
  smtp_password_set?: boolean;

  @ApiPropertyOptional()
  from?: string;

  @ApiPropertyOptional({ type: [String] })
  to?: string[];

  @ApiProperty({ example: '2026-12-01T16:20:00.000Z' })
  created_at: string;

  @ApiProperty({ example: '2026-12-01T16:20:00.000Z' })
  updated_at: string;
}
