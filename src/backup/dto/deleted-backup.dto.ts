import { ApiProperty } from '@nestjs/swagger';

export class DeletedBackupDto {
  @ApiProperty()
  filename: string;

  @ApiProperty({ example: true })
  deleted: boolean;
}
