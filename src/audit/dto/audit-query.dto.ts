import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';
import { PageLimit } from '../../common/validation/page-limit.decorator.js';

export class AuditQueryDto {
  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ description: 'An entry id: only older entries are returned (for paging back)', minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'before must be an entry id (a whole number of at least 1)' })
  @Min(1, { message: 'before must be an entry id (a whole number of at least 1)' })
  before?: number;
}
