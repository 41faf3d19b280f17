import { ApiProperty } from '@nestjs/swagger';

export class HealthStatusDto {
  @ApiProperty({ example: 'ok', enum: ['ok', 'starting'] })
  status: 'ok' | 'starting';

  @ApiProperty({ example: '0.1.0' })
  version: string;

  @ApiProperty({ description: 'Whether the databases are open (false while a staged restore is applied at start)' })
  databases_open: boolean;

  @ApiProperty({
    example: '6f1c2a9e-4b7d-4e21-9a53-0c8d2f7b1e44',
    description: "This installation's id (kept in DATA_DIR/.installation-id): the owner recorded on its backups, shown as installation_id in the backup lists",
  })
  installation_id: string;
}
