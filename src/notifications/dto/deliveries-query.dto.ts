import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { PageLimit } from '../../common/validation/page-limit.decorator.js';

export class DeliveriesQueryDto {
  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ description: 'An entry id: only older entries are returned (for paging back)', minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'before must be an entry id (a whole number of at least 1)' })
  @Min(1, { message: 'before must be an entry id (a whole number of at least 1)' })
  before?: number;

  @ApiPropertyOptional({ description: "A channel's id: only its deliveries (also of a deleted channel)" })
  @IsOptional()
  @IsString({ message: 'channel must be a channel id' })
  @MaxLength(100, { message: 'channel must be a channel id' })
  channel?: string;

  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'given_up'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'given_up'], { message: 'state must be pending, delivered or given_up' })
  state?: 'pending' | 'delivered' | 'given_up';
}
