import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { BACKUP_TARGET_PATTERN } from '../../common/backup-target.js';
import { PageLimit } from '../../common/validation/page-limit.decorator.js';
import { RUN_KINDS, type RunKindName } from '../run-row.js';

export class RunQueryDto {
  @ApiPropertyOptional({
    type: String,
    pattern: '^[a-z0-9-]{1,32}$',
    example: 'r2',
    description: "A target id: only that target's runs; every target's when absent",
  })
  @IsOptional()
  @Matches(BACKUP_TARGET_PATTERN, { message: "target must be a target id such as 'local' or 'r2' (1 to 32 of a-z, 0-9, '-')" })
  target?: string;

  @ApiPropertyOptional({ enum: RUN_KINDS, description: 'Only runs of this kind; every kind when absent' })
  @IsOptional()
  @IsIn(RUN_KINDS, { message: `kind must be one of ${RUN_KINDS.join(', ')}` })
  kind?: RunKindName;

  @PageLimit()
  limit?: number;
}
