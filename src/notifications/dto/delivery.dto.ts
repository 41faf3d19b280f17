import { ApiProperty } from '@nestjs/swagger';
import { CHANNEL_TYPES, type ChannelType } from '../notification-channel.js';

/** One entry of the delivery log: a notification for one channel, pending, delivered or given up. */
export class DeliveryDto {
  @ApiProperty({ description: 'Increasing; pass as `before` to page back' })
  id: number;

  @ApiProperty({ description: 'Also kept after the channel was deleted' })
  channel_id: string;

  @ApiProperty()
  channel_name: string;

  @ApiProperty({ enum: CHANNEL_TYPES })
  channel_type: ChannelType;

  @ApiProperty({ description: "The notification's id (X-Sentinel-Delivery on webhooks): the same across retries" })
  notification_id: string;

  @ApiProperty({ example: 'backup.failed', description: 'An event name, backup.started (ping channels) or test' })
  event: string;

  @ApiProperty({ type: String, nullable: true, pattern: '^[a-z0-9-]{1,32}$', example: 'r2' })
  target: string | null;

  @ApiProperty({ example: 'R2 backup failed' })
  title: string;

  @ApiProperty({ enum: ['pending', 'delivered', 'given_up'] })
  state: 'pending' | 'delivered' | 'given_up';

  @ApiProperty({ description: 'Tries so far' })
  attempts: number;

  @ApiProperty({ example: '2026-12-01T16:20:00.000Z', description: 'When it was written to the outbox' })
  created_at: string;

  @ApiProperty({ type: String, nullable: true, description: 'pending: when the next try is due' })
  next_attempt_at: string | null;

  @ApiProperty({ type: String, nullable: true })
  last_attempt_at: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the last try failed, in words' })
  last_error: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'HTTP 200: ok', description: 'What the receiver answered' })
  answer: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'given_up: why (refused by the receiver, retried for 24 hours, the channel was deleted)' })
  reason: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'When it was delivered or given up' })
  finished_at: string | null;
}
