import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { BackupTarget } from '../../common/backup-target.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { SecretCipher } from '../../settings/secret-cipher.js';
import { type ChannelBase, type ChannelChange, type ChannelSettings, SECRET_FIELDS, type SecretField } from '../channel-input.js';
import type { ChannelConfig, ChannelType, NotificationChannel } from '../notification-channel.js';
import type { NotificationEventName } from '../notification-events.js';
import { ChannelEntity } from './channel.entity.js';
import { ChannelSecretUnreadable } from './channel-secret-unreadable.js';
import { NotificationsDatabase } from './notifications-database.js';

/** A channel as stored, secrets still sealed: what the API shows and what the publisher filters on. */
export interface StoredChannel extends ChannelBase {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** Most channels an installation may have: enough for any team, and it bounds the outbox a single event writes. */
export const MAX_CHANNELS = 100;

/**
 * The channels in `.notifications.db`. Secrets are sealed with SecretCipher under the master key, with the
 * channel's id and the field's name as the additional data; they are opened only by `channel()`, for one
 * delivery, and never leave this module's senders.
 */
@Injectable()
export class ChannelStore {
  constructor(
    private readonly database: NotificationsDatabase,
    private readonly cipher: SecretCipher,
  ) {}

  list(): Promise<StoredChannel[]> {
    return this.database.read(async (manager) => (await manager.find(ChannelEntity, { order: { createdAt: 'ASC', id: 'ASC' } })).map(storedChannelOf));
  }

  /** The stored channel; CHANNEL_NOT_FOUND (404) when no channel has that id. */
  get(id: string): Promise<StoredChannel> {
    return this.database.read(async (manager) => storedChannelOf(await this.find(manager, id)));
  }

  create(change: ChannelChange): Promise<StoredChannel> {
    return this.database.transaction(async (manager) => {
      const count = await manager.count(ChannelEntity);
      if (count >= MAX_CHANNELS) {
        throw new DomainError(ErrorCode.InvalidInput, `There are already ${count} channels, the most allowed: delete one you no longer use first`, {
          field: 'name',
        });
      }
      await this.refuseDuplicateName(manager, change.name, undefined);
      const now = new Date().toISOString();
      const row = manager.create(ChannelEntity, { id: randomUUID(), createdAt: now, updatedAt: now, sealed: '{}' });
      this.apply(row, change);
      return storedChannelOf(await manager.save(row));
    });
  }

  /** `change` is the channel's whole new state (parseChannelInput merged it over the stored one); */
  update(id: string, change: ChannelChange): Promise<StoredChannel> {
    return this.database.transaction(async (manager) => {
      const row = await this.find(manager, id);
      await this.refuseDuplicateName(manager, change.name, id);
      this.apply(row, change);
      row.updatedAt = new Date().toISOString();
      return storedChannelOf(await manager.save(row));
    });
  }

  /**
   * The channel with its secrets opened, for one delivery; undefined when it was deleted. Throws
   * ChannelSecretUnreadable when a sealed secret does not open.
   */
  channel(id: string): Promise<NotificationChannel | undefined> {
    return this.database.read(async (manager) => {
      const row = await manager.findOneBy(ChannelEntity, { id });
      return row ? this.open(row) : undefined;
    });
  }

  /** Finds a channel inside a caller's transaction (CHANNEL_NOT_FOUND when there is none). */
  async find(manager: EntityManager, id: string): Promise<ChannelEntity> {
    const row = await manager.findOneBy(ChannelEntity, { id });
    if (!row) throw channelNotFound(id);
    return row;
  }

  private async refuseDuplicateName(manager: EntityManager, name: string, id: string | undefined): Promise<void> {
    const same = (await manager.find(ChannelEntity, { select: { id: true, name: true } })).find(
      (row) => row.id !== id && row.name.toLowerCase() === name.toLowerCase(),
    );
    if (same) throw new DomainError(ErrorCode.InvalidInput, `name: a channel named '${same.name}' already exists: choose another name`, { field: 'name' });
  }

  private apply(row: ChannelEntity, change: ChannelChange): void {
    row.name = change.name;
    row.type = change.type;
    row.events = JSON.stringify(change.events);
    row.targets = change.targets === null ? null : JSON.stringify(change.targets);
    row.enabled = change.enabled;
    row.settings = JSON.stringify(change.settings);
    const sealed = JSON.parse(row.sealed) as Partial<Record<SecretField, string>>;
    for (const field of SECRET_FIELDS) {
      const value = change.secrets[field];
      if (value === undefined) continue;
      if (value === null) delete sealed[field];
      else sealed[field] = this.cipher.encrypt(aad(row.id, field), value);
    }
    row.sealed = JSON.stringify(sealed);
  }

  private open(row: ChannelEntity): NotificationChannel {
    const sealed = JSON.parse(row.sealed) as Partial<Record<SecretField, string>>;
    const secret = (field: SecretField): string | null => {
      const value = sealed[field];
      if (value === undefined) return null;
      try {
        return this.cipher.decrypt(aad(row.id, field), value);
      } catch {
        throw new ChannelSecretUnreadable(field);
      }
    };
    const stored = storedChannelOf(row);
    const settings = stored.settings;
    const url = () => secret('url') ?? '';
    const type = stored.type;
    let config: ChannelConfig;
    switch (type) {
      case 'webhook':
        config = { type, url: url(), secret: secret('secret'), headers: JSON.parse(secret('headers') ?? '{}') as Record<string, string> };
        break;
      case 'ntfy':
        config = { type, url: url(), token: secret('token') };
        break;
      case 'slack':
      case 'discord':
      case 'ping':
        config = { type, url: url() } as ChannelConfig;
        break;
      case 'email':
        config = {
          type,
          smtp_host: settings.smtp_host ?? '',
          smtp_port: settings.smtp_port ?? 587,
          smtp_security: settings.smtp_security ?? 'starttls',
          smtp_user: settings.smtp_user ?? null,
          smtp_password: secret('smtp_password'),
          from: settings.from ?? '',
          to: settings.to ?? [],
        };
        break;
    }
    return { id: row.id, name: row.name, type, events: stored.events, targets: stored.targets, enabled: row.enabled, config };
  }
}

/** CHANNEL_NOT_FOUND (404). */
export function channelNotFound(id: string): DomainError {
  return new DomainError(
    ErrorCode.ChannelNotFound,
    `No notification channel has the id '${id.slice(0, 64)}': it was deleted or never existed (GET /api/notifications/channels lists them)`,
    { id: id.slice(0, 64) },
  );
}

/** The additional authenticated data of a channel's secret: a ciphertext opens only for its own channel and field. */
function aad(id: string, field: SecretField): string {
  return `notifications.channel:${id}:${field}`;
}

/** A row as StoredChannel (secrets still sealed). */
export function storedChannelOf(row: ChannelEntity): StoredChannel {
  const sealed = JSON.parse(row.sealed) as Partial<Record<SecretField, string>>;
  return {
    id: row.id,
    name: row.name,
    type: row.type as ChannelType,
    events: JSON.parse(row.events) as NotificationEventName[],
    targets: row.targets === null ? null : (JSON.parse(row.targets) as BackupTarget[]),
    enabled: row.enabled,
    settings: JSON.parse(row.settings) as ChannelSettings,
    secretsSet: SECRET_FIELDS.filter((field) => sealed[field] !== undefined),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
