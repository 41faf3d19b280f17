import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';

export class AdoptedBackupDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  filename: string;

  @ApiProperty({ example: '6f1c2a9e-4b7d-4e21-9a53-0c8d2f7b1e44', description: 'The owner now: this installation' })
  installation_id: string;

  @ApiProperty({ nullable: true, type: String, description: "The owner before (null: none); equal to installation_id when it was already this installation's" })
  previous_installation_id: string | null;
}
