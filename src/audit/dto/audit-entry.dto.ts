import { ApiProperty } from '@nestjs/swagger';
import type { AuditEntry } from '../audit-entry.js';

/** The API form of an AuditEntry (the same fields). */
export class AuditEntryDto implements AuditEntry {
  @ApiProperty({ description: 'Increasing; pass as `before` to page back' })
  id: number;

  @ApiProperty({ example: '2026-12-01T16:20:00.000Z' })
  at: string;

  @ApiProperty({
    example: 'restore.stage',
    description:
      'setting.change, settings.change (several saved at once: subject their keys), backup.start, backup.cancel (subject: the job id), backup.delete, backup.rotate, backup.rotate-dry-run, backup.verify, connection.test, restore.stage, restore.cancel, restore.apply-now, restore.apply; ' +
      'any other refused or state-changing request as "METHOD /path"',
  })
  action: string;

  @ApiProperty({ type: String, nullable: true, example: 'local' })
  target: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'sentinel-backup-2026-12-01-030000.tar.gz',
    description: 'The backup file, the setting key, or the keys of several settings saved at once; a setting value is never recorded',
  })
  subject: string | null;

  @ApiProperty({ enum: ['ok', 'refused', 'error'], description: 'refused: stopped at the door (401, 403, 415, 421, 429)' })
  outcome: 'ok' | 'refused' | 'error';

  @ApiProperty({ type: Number, nullable: true, example: 202, description: 'The HTTP status; null for what the service did on its own' })
  status_code: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'The error code of a refused or failed request; for restore.apply the apply outcome when not applied',
  })
  error: string | null;

  @ApiProperty({ example: '127.0.0.1', description: 'The TCP peer address (a proxy in front shows as itself), or "service"' })
  client: string;

  @ApiProperty({ type: String, nullable: true, description: 'At most 256 characters, control characters escaped' })
  user_agent: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'POST' })
  method: string | null;

  @ApiProperty({ type: String, nullable: true, example: '/api/backups/local/restore', description: 'Without the query string' })
  path: string | null;
}
