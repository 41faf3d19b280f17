import { ApiProperty } from '@nestjs/swagger';
import type { BackupTarget } from '../../common/backup-target.js';
import type { ConnectionTestResult } from '../object-storage.js';

export const CONNECTION_CHECK_NAMES = ['configuration', 'endpoint', 'credentials', 'bucket', 'folder', 'write', 'read', 'delete'] as const;

export class ConnectionCheckDto {
  @ApiProperty({
    enum: CONNECTION_CHECK_NAMES,
    example: 'credentials',
    description:
      'What was checked. R2: configuration, endpoint, credentials, bucket, write, read, delete. Local: configuration, folder, write, read, delete. ' +
      'Checks run in that order and stop at the first failure',
  })
  name: string;

  @ApiProperty({ example: false })
  ok: boolean;

  @ApiProperty({
    example:
      'The secret access key does not match the access key ID (SignatureDoesNotMatch): check r2_secret_access_key; it is shown only once when the API token is created, so create a new token if it is lost',
    description: 'What was found, and for a failed check what to do about it. Never contains credentials',
  })
  message: string;
}

export class ConnectionTestResultDto {
  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: BackupTarget;

  @ApiProperty({ description: 'Every check passed: backups to this target can work', example: false })
  ok: boolean;

  @ApiProperty({
    example: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com/sentinel-backups',
    description: 'Where it connected: endpoint and bucket, or the folder. Empty when not configured',
  })
  location: string;

  @ApiProperty({ type: [ConnectionCheckDto] })
  checks: ConnectionCheckDto[];

  @ApiProperty({ example: 412, description: 'How long the test took' })
  duration_ms: number;

  static from(result: ConnectionTestResult): ConnectionTestResultDto {
    return {
      target: result.target,
      ok: result.ok,
      location: result.location,
      checks: result.checks.map((c) => ({ name: c.name, ok: c.ok, message: c.message })),
      duration_ms: result.durationMs,
    };
  }
}
