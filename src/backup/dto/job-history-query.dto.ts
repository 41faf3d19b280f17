import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { BACKUP_TARGET_PATTERN } from '../../common/backup-target.js';
import { PageLimit } from '../../common/validation/page-limit.decorator.js';

export class JobHistoryQueryDto {
  @ApiPropertyOptional({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  @IsOptional()
  @Matches(BACKUP_TARGET_PATTERN, { message: "target must be a target id such as 'local' or 'r2' (1 to 32 of a-z, 0-9, '-')" })
  target?: string;

  @ApiPropertyOptional({
    enum: ['backup', 'replication'],
    description: "Only backups, or only replications (copies of another target's archives); both when absent",
  })
  @IsOptional()
  @IsIn(['backup', 'replication'], { message: 'kind must be backup or replication' })
  kind?: 'backup' | 'replication';

  @PageLimit()
  limit?: number;
}
