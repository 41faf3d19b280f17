import { ApiProperty } from '@nestjs/swagger';

export class HealthStatusDto {
  @ApiProperty({ example: 'ok', enum: ['ok', 'starting'] })
  status: 'ok' | 'starting';

  @ApiProperty({ example: '0.1.0' })
  version: string;

  @ApiProperty({ description: 'Whether the databases are open (false while a staged restore is applied at start)' })
  databases_open: boolean;
}
