import { ApiProperty } from '@nestjs/swagger';

/** Something that keeps the service from doing all of its work, with what to do about it. */
export class HealthProblemDto {
  @ApiProperty({ example: 'config.db', description: 'The file concerned, in DATA_DIR' })
  file: string;

  @ApiProperty({ example: 'The database file config.db in DATA_DIR is damaged (...). Restore a backup: ...', description: 'What is wrong and what to do' })
  message: string;
}

export class HealthStatusDto {
  @ApiProperty({
    example: 'ok',
    enum: ['ok', 'starting', 'degraded'],
    description: 'degraded: the service runs, but a database is damaged or missing (see problems); restoring a backup repairs it',
  })
  status: 'ok' | 'starting' | 'degraded';

  @ApiProperty({ example: '0.1.0' })
  version: string;

  @ApiProperty({ description: 'Whether the databases are open (false while a staged restore is applied at start)' })
  databases_open: boolean;

  @ApiProperty({ type: [HealthProblemDto], description: 'Damaged databases, each named with what to do; empty when all is well' })
  problems: HealthProblemDto[];

  @ApiProperty({
    example: '6f1c2a9e-4b7d-4e21-9a53-0c8d2f7b1e44',
    description: "This installation's id (kept in DATA_DIR/.installation-id): the owner recorded on its backups, shown as installation_id in the backup lists",
  })
  installation_id: string;

  @ApiProperty({
    example: 'America/New_York',
    description: "The service's time zone (TZ, an IANA name): scheduled times are wall-clock times in it; the admin page shows them in it and in the browser's",
  })
  time_zone: string;
}
