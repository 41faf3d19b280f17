import { ApiProperty } from '@nestjs/swagger';

export class KeptBackupDto {
  @ApiProperty({ example: 'sentinel-backup-2026-11-20-140000.tar.gz' })
  filename: string;

  @ApiProperty({
    type: [String],
    example: ['one of the newest three', 'newest of hour 2026-11-20 14:00', 'newest of day 2026-11-20'],
    description:
      'Every rule that keeps it: "one of the newest three", "within 90 days", "newest of hour 2026-11-20 14:00", "newest of day 2026-11-20", ' +
      '"newest of week 2026-W47" (ISO week), "newest of month 2026-11", "newest of year 2026" (calendar buckets in the service\'s time zone), ' +
      '"retention_days 0 keeps every backup", or that it is not this installation\'s backup',
  })
  reasons: string[];
}
