import { ApiProperty } from '@nestjs/swagger';
import { CHAIN_RATIO_MAX, CHAIN_RATIO_MIN, FULL_EVERY_MAX } from '../incremental-policy.js';

/** full_every's two shapes, for the OpenAPI document. */
export const FULL_EVERY_SCHEMA = [
  { type: 'string', enum: ['daily', 'weekly'] },
  { type: 'integer', minimum: 1, maximum: FULL_EVERY_MAX },
];

/** A target's incremental-backup policy as GET /api/targets shows it (docs/incremental-backups.md). */
export class IncrementalPolicyDto {
  @ApiProperty({
    example: false,
    description: 'Backups between full ones are increments (the pages changed since the previous backup of the chain). Default false: every backup full',
  })
  enabled: boolean;

  @ApiProperty({
    oneOf: FULL_EVERY_SCHEMA,
    example: 'daily',
    description: `When the next backup is full again: "daily" (the chain's full backup is from before today, in the service's time zone), "weekly" (before this ISO week), or after that many increments (1 to ${FULL_EVERY_MAX}). Default "daily"`,
  })
  full_every: 'daily' | 'weekly' | number;

  @ApiProperty({
    example: 0.5,
    minimum: CHAIN_RATIO_MIN,
    maximum: CHAIN_RATIO_MAX,
    description: `A full backup when the chain's increments add up to more than this share of its full archive's size (${CHAIN_RATIO_MIN} to ${CHAIN_RATIO_MAX}). Default 0.5`,
  })
  max_chain_ratio: number;
}
