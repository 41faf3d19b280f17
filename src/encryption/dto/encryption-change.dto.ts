import { ApiPropertyOptional } from '@nestjs/swagger';
import { EncryptionStatusDto } from './encryption-status.dto.js';

/** The answer of PUT and rotate: the status, and a new key's identity when the request made one. */
export class EncryptionChangeDto extends EncryptionStatusDto {
  @ApiPropertyOptional({
    example: 'AGE-SECRET-KEY-1QQPQ...',
    description:
      'Only when this request made a new key: its identity, the recovery key. Shown this once: keep it offline (a file for age -d -i, or printed); ' +
      'then POST .../confirm. It is what decrypts the backups if the server and its master key are lost, and in write-only mode the only copy',
  })
  recovery_key?: string;
}
