import { ApiProperty } from '@nestjs/swagger';
import { apiFields, BUILT_IN_FIELDS, type BuiltInId } from '../built-in-target-fields.js';
import { incrementalFields, incrementalPolicyOf } from '../incremental-policy.js';
import type { TargetDefinition, UnreadableCredential } from '../target-definition.js';
import { IncrementalPolicyDto } from './incremental-policy.dto.js';

export class ObjectLockDto {
  @ApiProperty({ enum: ['governance', 'compliance'] })
  mode: 'governance' | 'compliance';

  @ApiProperty({ example: 30, description: 'Days each uploaded archive is locked, 1 to 36500' })
  days: number;
}

/** A backup target as GET /api/targets shows it: every field, secrets only as whether they are set. */
export class TargetDto {
  @ApiProperty({ pattern: '^[a-z0-9-]{1,32}$', example: 'b2-eu' })
  id: string;

  @ApiProperty({ example: 'Backblaze B2 (EU)' })
  label: string;

  @ApiProperty({ enum: ['s3', 'folder'] })
  kind: 's3' | 'folder';

  @ApiProperty({ description: 'local and r2: their fields are the spec settings keys (settings_keys); they cannot be deleted' })
  built_in: boolean;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ example: 'https://s3.eu-central-003.backblazeb2.com', description: "s3: the store's URL ('' for r2 on its account ID); folder: ''" })
  endpoint: string;

  @ApiProperty({ example: 'eu-central-003', description: "s3: the signing region ('auto' for R2)" })
  region: string;

  @ApiProperty({ example: 'sentinel-backups' })
  bucket: string;

  @ApiProperty({ example: 'office/', description: "'' (the bucket's root) or a folder ending in '/'" })
  prefix: string;

  @ApiProperty({ description: 'An access key ID is stored' })
  access_key_id_set: boolean;

  @ApiProperty({
    example: 'AKIAIOSFODNN7EXAMPLE',
    description:
      "s3: the access key ID (stored encrypted, shown: it names the key and is not the secret); '' when none is stored or it cannot be read; folder: ''",
  })
  access_key_id: string;

  @ApiProperty({ description: 'A secret access key is stored (it is never shown)' })
  secret_access_key_set: boolean;

  @ApiProperty({
    type: [String],
    enum: ['access_key_id', 'secret_access_key'],
    example: [],
    description:
      "An added target's credentials that are stored but cannot be read with the current master key (SENTINEL_MASTER_KEY or DATA_DIR/.master-key " +
      "changed since, or the stored text is damaged): they read as not set; enter them again (PATCH). [] when every stored one reads; the built-in r2's show in GET /api/settings (readable)",
  })
  credentials_unreadable: UnreadableCredential[];

  @ApiProperty({ example: '/mnt/nas/sentinel', description: "folder: the absolute folder; s3: ''" })
  path: string;

  @ApiProperty({
    example: 'daily',
    description:
      "daily (03:00), weekly (Sunday 03:00), monthly (1st, 03:00), hourly (at :15) or cron:<five fields>; local and r2 take their settings' schedules (local_backup_schedule: daily at 01:00 by default)",
  })
  schedule: string;

  @ApiProperty({ example: 90, description: 'Delete backups older than this many days, always keeping the newest 3; 0 keeps all' })
  retention_days: number;

  @ApiProperty({ type: Number, nullable: true, description: 'Calendar retention: newest backup of each of the N most recent hours; null = unset' })
  keep_hourly: number | null;

  @ApiProperty({ type: Number, nullable: true })
  keep_daily: number | null;

  @ApiProperty({ type: Number, nullable: true })
  keep_weekly: number | null;

  @ApiProperty({ type: Number, nullable: true })
  keep_monthly: number | null;

  @ApiProperty({ type: Number, nullable: true })
  keep_yearly: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'The target whose backups this one copies, or null' })
  replicate_from: string | null;

  @ApiProperty({ type: ObjectLockDto, nullable: true })
  object_lock: ObjectLockDto | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    example: { bucket: 'r2_bucket_name' },
    description:
      "local and r2: the settings key each settable field reads and writes (r2's object_lock is two: object_lock.mode, '' when null, and object_lock.days); null for added targets",
  })
  settings_keys: Record<string, string> | null;

  @ApiProperty({
    type: IncrementalPolicyDto,
    description:
      'Incremental backups: default {"enabled": false, "full_every": "daily", "max_chain_ratio": 0.5}. Not a settings key for local and r2 (kept in config.db beside the targets)',
  })
  incremental: IncrementalPolicyDto;

  static from(target: TargetDefinition): TargetDto {
    const fields = apiFields(target);
    return {
      id: target.id,
      label: target.label,
      kind: target.kind,
      built_in: target.builtIn,
      enabled: target.enabled,
      endpoint: target.endpoint,
      region: target.region,
      bucket: target.bucket,
      prefix: target.prefix,
      access_key_id_set: target.accessKeyId !== '',
      access_key_id: target.accessKeyId,
      secret_access_key_set: target.secretAccessKey !== '',
      credentials_unreadable: [...(target.unreadable ?? [])],
      path: target.path,
      schedule: target.schedule,
      retention_days: target.retention.retentionDays,
      keep_hourly: fields.keep_hourly as number | null,
      keep_daily: fields.keep_daily as number | null,
      keep_weekly: fields.keep_weekly as number | null,
      keep_monthly: fields.keep_monthly as number | null,
      keep_yearly: fields.keep_yearly as number | null,
      replicate_from: target.replicateFrom,
      object_lock: target.objectLock ? { ...target.objectLock } : null,
      settings_keys: target.builtIn ? { ...(BUILT_IN_FIELDS[target.id as BuiltInId] as Record<string, string>) } : null,
      incremental: incrementalFields(incrementalPolicyOf(target)),
    };
  }
}
