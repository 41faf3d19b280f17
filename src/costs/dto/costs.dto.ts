import { ApiProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';

/** The body of PUT /api/costs/prices/{target}. */
export class CostPricesInputDto {
  @Allow()
  @ApiProperty({ example: 0.006, minimum: 0, maximum: 1000, description: 'US dollars per GB-month stored (1 GB = 10^9 bytes)' })
  storage_per_gb_month: number;

  @Allow()
  @ApiProperty({ example: 5, minimum: 0, maximum: 1000, description: 'US dollars per million Class A operations (writes and listings)' })
  class_a_per_million: number;

  @Allow()
  @ApiProperty({ example: 0.4, minimum: 0, maximum: 1000, description: 'US dollars per million Class B operations (reads)' })
  class_b_per_million: number;
}

export class CostPricesDto extends CostPricesInputDto {
  @ApiProperty({ description: "true: the spec's Cloudflare R2 prices (no price set for this target)" })
  is_default: boolean;
}

export class RequestCountsDto {
  @ApiProperty({
    example: 412,
    description: 'Class A requests (PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload, CopyObject, ListObjectsV2 ...)',
  })
  class_a: number;

  @ApiProperty({ example: 96, description: 'Class B requests (GetObject, HeadObject, HeadBucket ...)' })
  class_b: number;

  @ApiProperty({ example: 12, description: 'Requests R2 does not bill (DeleteObject, DeleteObjects, AbortMultipartUpload)' })
  free: number;
}

export class MonthlyCostDto {
  @ApiProperty({ example: 0.0075, description: 'US dollars: the bytes stored now, kept a month, at the storage price' })
  storage: number;

  @ApiProperty({ example: 0.0019, description: 'US dollars: the Class A requests of the last 30 days at the Class A price' })
  class_a: number;

  @ApiProperty({ example: 0.00003, description: 'US dollars: the Class B requests of the last 30 days at the Class B price' })
  class_b: number;

  @ApiProperty({ example: 0.0094, description: 'US dollars: storage + class_a + class_b' })
  total: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.012,
    description: 'US dollars a month for the storage of projected_bytes; null when that is unknown',
  })
  projected_storage: number | null;
}

export class DiskSpaceDto {
  @ApiProperty({ example: '/var/backups/sentinel', description: 'A folder the next backups write to (the data folder for snapshots, a folder target)' })
  folder: string;

  @ApiProperty({ example: 52613349376, description: "Bytes free on the folder's file system" })
  free_bytes: number;

  @ApiProperty({ example: 1073741824, description: 'Bytes the next backup needs there (the same estimate the backup checks, margin included)' })
  needed_bytes: number;

  @ApiProperty({ description: 'free_bytes >= needed_bytes' })
  fits: boolean;

  @ApiProperty({ type: [String], example: ['local', 'r2'], description: 'The enabled targets whose next backup needs that room' })
  targets: string[];
}

export class TargetCostDto {
  @ApiProperty({ example: 'r2' })
  target: string;

  @ApiProperty({ example: 'R2' })
  label: string;

  @ApiProperty({ enum: ['s3', 'folder'] })
  kind: 's3' | 'folder';

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 3145728,
    description: 'Bytes of the backups stored now; null when they could not be listed (see listing_error)',
  })
  stored_bytes: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 3, description: 'Backups stored now; null when they could not be listed' })
  stored_backups: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the backups could not be listed' })
  listing_error: string | null;

  @ApiProperty({ example: 'within 30 days', description: "The target's retention rule in words" })
  retention: string;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 30,
    description:
      "How many backups the rule keeps once it has run long enough on the target's schedule (manual backups not included); null when it keeps every backup",
  })
  projected_backups: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 94371840,
    description:
      "The size the target will hold under its retention: projected_backups times the newest archive's size, plus backups that are not this installation's; null when the rule keeps every backup or nothing is stored",
  })
  projected_bytes: number | null;

  @ApiProperty({ example: 3, description: 'Archives made in the last 30 days (the growth is measured on them)' })
  recent_backups: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 1,
    description: 'Backups a day, from the spacing of the recent ones; null with fewer than two, or spread over less than a day',
  })
  backups_per_day: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 2048,
    description: "The change of an archive's size per day (least squares over the recent ones); null when backups_per_day is",
  })
  archive_growth_bytes_per_day: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 1048576, description: "The newest archive's size in bytes" })
  newest_backup_bytes: number | null;

  @ApiProperty({
    type: RequestCountsDto,
    nullable: true,
    description: 'S3 targets: the requests the service sent in the last 30 days (UTC days, today included); null for a folder',
  })
  requests_30_days: RequestCountsDto | null;

  @ApiProperty({ type: CostPricesDto, nullable: true, description: 'S3 targets: the prices the estimate uses; null for a folder' })
  prices: CostPricesDto | null;

  @ApiProperty({
    type: MonthlyCostDto,
    nullable: true,
    description: 'S3 targets: the estimated monthly cost; null for a folder or when the backups could not be listed',
  })
  monthly_cost: MonthlyCostDto | null;

  @ApiProperty({ type: Number, nullable: true, example: 52613349376, description: "Folder targets: bytes free on the folder's disk" })
  free_bytes: number | null;

  @ApiProperty({
    type: [String],
    example: ['The next backup needs 1.0 GB in /var/backups/sentinel; 512 MB is free'],
    description: 'What will not fit: the next backup, or the size under the retention, on the free space',
  })
  warnings: string[];
}

export class CostsDto {
  @ApiProperty({ example: '2026-03-08T09:12:00.000Z' })
  generated_at: string;

  @ApiProperty({ example: 'USD', description: 'The currency of every price and cost' })
  currency: 'USD';

  @ApiProperty({ example: 30, description: 'The days of requests the operations cost counts' })
  window_days: number;

  @ApiProperty({ type: [TargetCostDto] })
  targets: TargetCostDto[];

  @ApiProperty({ example: 0.0094, description: 'US dollars a month: the sum of the S3 targets’ monthly_cost.total' })
  total_monthly_cost: number;

  @ApiProperty({ type: [DiskSpaceDto], description: 'Each folder the enabled targets’ next backups need room in' })
  disks: DiskSpaceDto[];
}
