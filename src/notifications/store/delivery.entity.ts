import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type DeliveryState = 'pending' | 'delivered' | 'given_up';

/**
 * One notification for one channel: the outbox entry while pending, then the delivery log's record. Written
 * before anything is sent; the notification itself is kept as sent (it holds no secret), so a retry after a
 * restart sends the same body with the same id.
 */
@Entity('deliveries')
@Index(['state', 'channelId', 'id'])
export class DeliveryEntity {
  /** Increasing: the order of deliveries to one channel, and the page cursor of the log. */
  @PrimaryGeneratedColumn()
  id: number;

  /** Kept after the channel is deleted (the log still says where it went). */
  @Column('text')
  channelId: string;

  @Column('text')
  channelName: string;

  @Column('text')
  channelType: string;

  @Column('text')
  notificationId: string;

  @Column('text')
  event: string;

  @Column('text', { nullable: true })
  target: string | null;

  /** The Notification as JSON. */
  @Column('text')
  notification: string;

  @Column('text')
  state: DeliveryState;

  @Column('integer')
  attempts: number;

  @Column('text')
  createdAt: string;

  /** When the next try is due (pending only). */
  @Column('text', { nullable: true })
  nextAttemptAt: string | null;

  @Column('text', { nullable: true })
  lastAttemptAt: string | null;

  /** Why the last try failed, in words (pending and given up). */
  @Column('text', { nullable: true })
  lastError: string | null;

  /** What the receiver answered (delivered; a refusal's answer when given up). */
  @Column('text', { nullable: true })
  answer: string | null;

  /** Why it was given up. */
  @Column('text', { nullable: true })
  reason: string | null;

  @Column('text', { nullable: true })
  finishedAt: string | null;
}
