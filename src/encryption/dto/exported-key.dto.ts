import { ApiProperty } from '@nestjs/swagger';

/** The current key of a target, exported by the user's explicit request (recorded in the audit log, the key never). */
export class ExportedKeyDto {
  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: string;

  @ApiProperty({ example: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p' })
  recipient: string;

  @ApiProperty({ example: 'AGE-SECRET-KEY-1QQPQ...', description: "The current key's identity: decrypts its backups with age -d -i" })
  recovery_key: string;
}
