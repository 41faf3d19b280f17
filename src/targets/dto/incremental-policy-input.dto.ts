import { ApiPropertyOptional } from '@nestjs/swagger';
import { CHAIN_RATIO_MAX, CHAIN_RATIO_MIN } from '../incremental-policy.js';
import { FULL_EVERY_SCHEMA } from './incremental-policy.dto.js';

/** The incremental policy as POST and PATCH take it: any of its fields; those not sent keep their values. */
export class IncrementalPolicyInputDto {
  @ApiPropertyOptional({ example: true })
  enabled?: boolean;

  @ApiPropertyOptional({
    oneOf: FULL_EVERY_SCHEMA,
    example: 'weekly',
  })
  full_every?: 'daily' | 'weekly' | number;

  @ApiPropertyOptional({ example: 0.5, minimum: CHAIN_RATIO_MIN, maximum: CHAIN_RATIO_MAX })
  max_chain_ratio?: number;
}
