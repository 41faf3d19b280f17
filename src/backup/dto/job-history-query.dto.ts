import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageLimit } from '../../common/validation/page-limit.decorator.js';

export class JobHistoryQueryDto {
  @ApiPropertyOptional({ enum: ['local', 'r2'] })
  @IsOptional()
  @IsIn(['local', 'r2'], { message: 'target must be local or r2' })
  target?: 'local' | 'r2';

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
