import { Body, Controller, Delete, Get, Param, Post, Put, Query, Req } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { jsonType } from '../common/format.js';
import { AllowedQuery } from '../common/validation/allowed-query.js';
import { CreateChannelDto } from './dto/create-channel.dto.js';
import { UpdateChannelDto } from './dto/update-channel.dto.js';
import { ChannelTestResultDto } from './dto/channel-test-result.dto.js';
import { ChannelDto } from './dto/channel.dto.js';
import { DeliveriesQueryDto } from './dto/deliveries-query.dto.js';
import { DeliveryDto } from './dto/delivery.dto.js';
import { NotificationChannels } from './notification-channels.service.js';
import type { ChannelType } from './notification-channel.js';
import type { StoredChannel } from './store/channel-store.js';
import type { DeliveryEntity } from './store/delivery.entity.js';
import { DeliveryOutbox } from './store/delivery-outbox.js';

const ID_PARAM = ApiParam({ name: 'id', description: "The channel's id (from the list or the create answer)" });

@ApiTags('notifications')
@Controller('api/notifications')
export class NotificationsController {
  constructor(
    private readonly channels: NotificationChannels,
    private readonly outbox: DeliveryOutbox,
  ) {}

  @Get('channels')
  @Endpoint({ summary: 'The notification channels, oldest first (never a secret: URLs show only scheme and host)', response: [ChannelDto] })
  async list(): Promise<ChannelDto[]> {
    return (await this.channels.list()).map(toChannelDto);
  }

  @Post('channels')
  @Endpoint({
    summary: 'Create a channel: webhook, slack, discord, ntfy, email or ping',
    description:
      'name and type, and by type: webhook url (secret, headers optional); slack, discord, ntfy, ping url (ntfy token optional); email smtp_host, smtp_port, ' +
      'smtp_security, from, to (smtp_user, smtp_password optional). events defaults to every failure (a ping channel: backup.succeeded and backup.failed), ' +
      'targets to every target, enabled to true. A wrong field answers 400 naming it (details.field). Secrets are stored encrypted and never returned. ' +
      'docs/notifications.md documents each type and the webhook body.',
    status: 201,
    response: ChannelDto,
    errors: [400],
  })
  async create(@Body() _body: CreateChannelDto, @Req() request: Request): Promise<ChannelDto> {
    return toChannelDto(await this.channels.create(bodyOf(request)));
  }

  @Get('channels/:id')
  @ID_PARAM
  @Endpoint({ summary: 'One channel (never a secret)', response: ChannelDto, errors: [404] })
  async get(@Param('id') id: string): Promise<ChannelDto> {
    return toChannelDto(await this.channels.get(id));
  }

  @Put('channels/:id')
  @ID_PARAM
  @Endpoint({
    summary: 'Change a channel: only the fields given change; an omitted secret keeps its stored value',
    description: 'The type cannot change. headers replaces every custom header; null removes an optional secret (secret, headers, token, smtp_password).',
    response: ChannelDto,
    errors: [400, 404],
  })
  async update(@Param('id') id: string, @Body() _body: UpdateChannelDto, @Req() request: Request): Promise<ChannelDto> {
    return toChannelDto(await this.channels.update(id, bodyOf(request)));
  }

  @Delete('channels/:id')
  @ID_PARAM
  @Endpoint({
    summary: 'Delete a channel; its pending deliveries are given up (kept in the delivery log: "the channel was deleted")',
    status: 204,
    errors: [404],
  })
  async delete(@Param('id') id: string): Promise<void> {
    await this.channels.delete(id);
  }

  @Post('channels/:id/test')
  @ID_PARAM
  @Endpoint({
    summary: 'Send a real test message through the channel now and answer what the receiver said',
    description:
      "Answers 200 in both cases: delivered true with the receiver's answer, or false with the cause in words (host name not found, connection refused, TLS, " +
      '401/403: the receiver refused the token, 404: the webhook was deleted, no answer within the time limit). Sent even when the channel is disabled; ' +
      'recorded in the delivery log (event test).',
    response: ChannelTestResultDto,
    errors: [404, 409],
  })
  async test(@Param('id') id: string): Promise<ChannelTestResultDto> {
    const result = await this.channels.test(id);
    return { delivered: result.delivered, answer: result.answer, message: result.message, delivery_id: result.deliveryId };
  }

  @Get('deliveries')
  @AllowedQuery(DeliveriesQueryDto)
  @Endpoint({
    summary: 'The delivery log, newest first: pending (tries, next try, last error), delivered (the answer), given up (why)',
    description: 'Delivered and given-up entries are kept 30 days (at most the newest 5000). Filter by channel id and state; page back with before.',
    response: [DeliveryDto],
    errors: [400],
  })
  async deliveries(@Query() query: DeliveriesQueryDto): Promise<DeliveryDto[]> {
    const rows = await this.outbox.list({ limit: query.limit ?? 100, before: query.before, channel: query.channel, state: query.state });
    return rows.map(toDeliveryDto);
  }
}

/** The JSON body as sent (unknown fields were refused by the global ApiValidationPipe, against the DTO's @Allow'ed fields): the checks of channel-input.ts run on it. */
function bodyOf(request: Request): Record<string, unknown> {
  const body: unknown = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError(ErrorCode.InvalidInput, `The body must be a JSON object with the channel's fields (got ${jsonType(body ?? null)})`);
  }
  return body as Record<string, unknown>;
}

function toChannelDto(channel: StoredChannel): ChannelDto {
  const settings = channel.settings;
  const set = (field: StoredChannel['secretsSet'][number]) => channel.secretsSet.includes(field);
  const dto: ChannelDto = {
    id: channel.id,
    name: channel.name,
    type: channel.type,
    events: channel.events,
    targets: channel.targets,
    enabled: channel.enabled,
    url_host: settings.url_host ?? null,
    created_at: channel.createdAt,
    updated_at: channel.updatedAt,
  };
  if (channel.type === 'ping') dto.ping_style = settings.ping_style ?? 'healthchecks';
  if (channel.type === 'webhook') Object.assign(dto, { secret_set: set('secret'), header_names: settings.header_names ?? [] });
  if (channel.type === 'ntfy') dto.token_set = set('token');
  if (channel.type === 'email') {
    Object.assign(dto, {
      smtp_host: settings.smtp_host,
      smtp_port: settings.smtp_port,
      smtp_security: settings.smtp_security,
      smtp_user: settings.smtp_user ?? null,
      smtp_password_set: set('smtp_password'),
      from: settings.from,
      to: settings.to,
    });
  }
  return dto;
}

function toDeliveryDto(row: DeliveryEntity): DeliveryDto {
  const notification = JSON.parse(row.notification) as { title?: string };
  return {
    id: row.id,
    channel_id: row.channelId,
    channel_name: row.channelName,
    channel_type: row.channelType as ChannelType,
    notification_id: row.notificationId,
    event: row.event,
    target: row.target,
    title: notification.title ?? '',
    state: row.state,
    attempts: row.attempts,
    created_at: row.createdAt,
    next_attempt_at: row.nextAttemptAt,
    last_attempt_at: row.lastAttemptAt,
    last_error: row.lastError,
    answer: row.answer,
    reason: row.reason,
    finished_at: row.finishedAt,
  };
}
