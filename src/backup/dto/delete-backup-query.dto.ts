import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export class DeleteBackupQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description:
      "Required (true) to delete a backup that is not this installation's: another installation's, or one without an owner while another installation shares the target. Without it such a delete answers 409 and deletes nothing",
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'confirm_foreign must be true or false' })
  confirm_foreign?: 'true' | 'false';
}
