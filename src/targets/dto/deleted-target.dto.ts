import { ApiProperty } from '@nestjs/swagger';

export class DeletedTargetDto {
  @ApiProperty({ example: 'b2-eu' })
  id: string;

  @ApiProperty({ example: true })
  deleted: boolean;

  @ApiProperty({
    example: 12,
    description: 'Backups left where they were (the target is forgotten, its backups are not deleted); null when they could not be listed',
    type: Number,
    nullable: true,
  })
  backups_left: number | null;
}
