import { ApiProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import { CHANNEL_TYPES, type ChannelType } from '../notification-channel.js';
import { UpdateChannelDto } from './update-channel.dto.js';

/** POST: `name` and `type` required, and the type's own required fields (url; for email smtp_host, smtp_port, smtp_security, from, to). */
export class CreateChannelDto extends UpdateChannelDto {
  @ApiProperty({ example: 'Ops webhook', description: '1 to 100 characters, unique among the channels' })
  @Allow()
  declare name: string;

  @ApiProperty({ enum: CHANNEL_TYPES })
  @Allow()
  declare type: ChannelType;
}
