import { ApiPropertyOptional } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import { IncrementalPolicyInputDto } from './incremental-policy-input.dto.js';
import { ObjectLockDto } from './target.dto.js';

/**
 * The fields POST /api/targets and PATCH /api/targets/{id} take. Every property is only @Allow'ed here, which is
 * what lets the global ApiValidationPipe refuse any other field; the checks, which depend on the target's kind
 * and on the other targets, are in target-input.ts and answer 400 naming the field. PATCH changes the fields it
 * names; for local and r2 they write the spec's settings keys (settings_keys in GET).
 */
export class TargetInputDto {
  @ApiPropertyOptional({
    pattern: '^[a-z0-9-]{1,32}$',
    example: 'b2-eu',
    description: 'POST: required, 1 to 32 of a-z, 0-9, -; not local or r2. PATCH: cannot change',
  })
  @Allow()
  id?: string;

  @ApiPropertyOptional({ example: 'Backblaze B2 (EU)', description: '1 to 100 characters; default: the id' })
  @Allow()
  label?: string;

  @ApiPropertyOptional({ enum: ['s3', 'folder'], description: 'POST: required. PATCH: cannot change' })
  @Allow()
  kind?: 's3' | 'folder';

  @ApiPropertyOptional({ default: true })
  @Allow()
  enabled?: boolean;

  @ApiPropertyOptional({ example: 'https://s3.eu-central-003.backblazeb2.com', description: 's3: required, the origin only (scheme://host[:port])' })
  @Allow()
  endpoint?: string;

  @ApiPropertyOptional({ example: 'eu-central-003', default: 'auto', description: "s3: the signing region (AWS S3 needs the bucket's region)" })
  @Allow()
  region?: string;

  @ApiPropertyOptional({ example: 'sentinel-backups', description: 's3: required' })
  @Allow()
  bucket?: string;

  @ApiPropertyOptional({ example: 'office/', description: "s3: optional folder in the bucket, stored ending in '/'" })
  @Allow()
  prefix?: string;

  @ApiPropertyOptional({ writeOnly: true, description: 's3: required on POST. Stored encrypted, never returned; omit to keep' })
  @Allow()
  access_key_id?: string;

  @ApiPropertyOptional({ writeOnly: true, description: 's3: required on POST. Stored encrypted, never returned; omit to keep' })
  @Allow()
  secret_access_key?: string;

  @ApiPropertyOptional({ example: '/mnt/nas/sentinel', description: 'folder: required, absolute; created on the first backup' })
  @Allow()
  path?: string;

  @ApiPropertyOptional({
    example: 'cron:30 2 * * 1,4',
    default: 'daily',
    description: 'daily (03:00), weekly (Sunday 03:00), monthly (1st, 03:00), hourly (at :15) or cron:<minute hour day-of-month month day-of-week>, in TZ',
  })
  @Allow()
  schedule?: string;

  @ApiPropertyOptional({ default: 90, description: '0 to 36500; 0 keeps all' })
  @Allow()
  retention_days?: number;

  @ApiPropertyOptional({ type: Number, nullable: true, description: '1 to 10000, or null (unset)' })
  @Allow()
  keep_hourly?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true })
  @Allow()
  keep_daily?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true })
  @Allow()
  keep_weekly?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true })
  @Allow()
  keep_monthly?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true })
  @Allow()
  keep_yearly?: number | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Another existing target id, or null; no cycles' })
  @Allow()
  replicate_from?: string | null;

  @ApiPropertyOptional({ type: ObjectLockDto, nullable: true, description: 's3 only: {mode, days} or null' })
  @Allow()
  object_lock?: ObjectLockDto | null;

  @ApiPropertyOptional({
    type: IncrementalPolicyInputDto,
    description:
      'Incremental backups (docs/incremental-backups.md): any of enabled, full_every, max_chain_ratio; the fields not sent keep their values. ' +
      'A wrong one answers 400 naming it (incremental.full_every) and changes nothing. local and r2 take it too (it is kept in config.db, not a settings key)',
  })
  @Allow()
  incremental?: IncrementalPolicyInputDto;
}
