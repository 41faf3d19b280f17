import { Injectable } from '@nestjs/common';
import { type EntityManager, In, LessThan, Not } from 'typeorm';
import { ChannelEntity } from './channel.entity.js';
import { DeliveryEntity, type DeliveryState } from './delivery.entity.js';
import { NotificationsDatabase } from './notifications-database.js';
import type { Notification } from '../notification.js';
import { storedChannelOf, type StoredChannel } from './channel-store.js';

export interface DeliveryQuery {
  limit: number;
  before?: number;
  channel?: string;
  state?: DeliveryState;
}

/** The end of one try, as the outbox records it. */
export type AttemptOutcome =
  | { kind: 'delivered'; answer: string }
  | { kind: 'retry'; error: string; answer: string | null; nextAttemptAt: Date }
  | { kind: 'given_up'; error: string | null; answer: string | null; reason: string };

/**
 * The outbox and the delivery log: one table, one row per notification and channel. A row is written
 * pending before anything is sent and moves to delivered or given_up once; only the dispatcher moves it.
 */
@Injectable()
export class DeliveryOutbox {
  constructor(private readonly database: NotificationsDatabase) {}

  /** Writes one pending delivery per channel that `pick` chooses, in one transaction (all or none). */
  enqueue(notification: Notification, pick: (channels: StoredChannel[]) => StoredChannel[]): Promise<number> {
    return this.database.transaction(async (manager) => {
      const channels = pick((await manager.find(ChannelEntity, { order: { createdAt: 'ASC', id: 'ASC' } })).map(storedChannelOf));
      const now = new Date();
      for (const channel of channels) {
        await manager.insert(DeliveryEntity, {
          ...rowOf(channel, notification),
          state: 'pending',
          attempts: 0,
          createdAt: now.toISOString(),
          nextAttemptAt: now.toISOString(),
        });
      }
      return channels.length;
    });
  }

  /** Records a delivery the dispatcher did not queue (a channel's test): already finished. */
  record(channel: StoredChannel, notification: Notification, outcome: Exclude<AttemptOutcome, { kind: 'retry' }>, at: Date): Promise<number> {
    return this.database.transaction(async (manager) => {
      const result = await manager.insert(DeliveryEntity, {
        ...rowOf(channel, notification),
        attempts: 1,
        createdAt: at.toISOString(),
        lastAttemptAt: at.toISOString(),
        ...finished(outcome, at),
      });
      return (result.identifiers[0] as { id: number }).id;
    });
  }

  /** The oldest pending delivery of each channel: deliveries to one channel go in order, one at a time. */
  heads(): Promise<DeliveryEntity[]> {
    return this.database.read(async (manager) => {
      const firsts = (await manager
        .createQueryBuilder(DeliveryEntity, 'd')
        .select('MIN(d.id)', 'id')
        .where('d.state = :state', { state: 'pending' })
        .groupBy('d.channelId')
        .getRawMany()) as { id: number }[];
      return firsts.length ? manager.find(DeliveryEntity, { where: { id: In(firsts.map((row) => row.id)) } }) : [];
    });
  }

  /** Records a try's outcome; only a pending row changes (one given up meanwhile, as its channel was deleted, stays so). */
  finish(id: number, attempts: number, outcome: AttemptOutcome, at: Date): Promise<void> {
    return this.database.transaction(async (manager) => {
      const common = { attempts, lastAttemptAt: at.toISOString() };
      const change =
        outcome.kind === 'retry'
          ? { ...common, lastError: outcome.error, answer: outcome.answer, nextAttemptAt: outcome.nextAttemptAt.toISOString() }
          : { ...common, ...finished(outcome, at) };
      await manager.update(DeliveryEntity, { id, state: 'pending' }, change);
    });
  }

  /** Gives up every pending delivery of a channel (inside the caller's transaction: the channel's deletion). */
  async giveUpChannel(manager: EntityManager, channelId: string, reason: string, at: Date): Promise<void> {
    await manager.update(DeliveryEntity, { channelId, state: 'pending' }, { state: 'given_up', reason, nextAttemptAt: null, finishedAt: at.toISOString() });
  }

  list(query: DeliveryQuery): Promise<DeliveryEntity[]> {
    return this.database.read((manager) => {
      const where: Record<string, unknown> = {};
      if (query.before !== undefined) where.id = LessThan(query.before);
      if (query.channel !== undefined) where.channelId = query.channel;
      if (query.state !== undefined) where.state = query.state;
      return manager.find(DeliveryEntity, { where, order: { id: 'DESC' }, take: query.limit });
    });
  }

  /**
   * Bounds the log: delivered and given-up entries older than `olderThan`, and those beyond the newest
   * `keepRows`, are deleted. Pending ones are never pruned: the dispatcher gives them up after a day.
   */
  prune(olderThan: Date, keepRows: number): Promise<number> {
    return this.database.transaction(async (manager) => {
      const old = await manager.delete(DeliveryEntity, { state: Not('pending'), finishedAt: LessThan(olderThan.toISOString()) });
      const beyond = await manager.find(DeliveryEntity, {
        select: { id: true },
        where: { state: Not('pending') },
        order: { id: 'DESC' },
        skip: keepRows,
        take: 1,
      });
      let extra = 0;
      if (beyond.length) {
        extra = (await manager.delete(DeliveryEntity, { state: Not('pending'), id: LessThan(beyond[0].id + 1) })).affected ?? 0;
      }
      return (old.affected ?? 0) + extra;
    });
  }
}

function rowOf(channel: StoredChannel, notification: Notification): Partial<DeliveryEntity> {
  return {
    channelId: channel.id,
    channelName: channel.name,
    channelType: channel.type,
    notificationId: notification.id,
    event: notification.event,
    target: notification.target,
    notification: JSON.stringify(notification),
  };
}

function finished(outcome: Exclude<AttemptOutcome, { kind: 'retry' }>, at: Date): Partial<DeliveryEntity> {
  return outcome.kind === 'delivered'
    ? { state: 'delivered', answer: outcome.answer, lastError: null, nextAttemptAt: null, finishedAt: at.toISOString() }
    : { state: 'given_up', answer: outcome.answer, lastError: outcome.error, reason: outcome.reason, nextAttemptAt: null, finishedAt: at.toISOString() };
}
