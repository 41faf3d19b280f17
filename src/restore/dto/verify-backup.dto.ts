import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IDENTITY_PROPERTY, IsIdentityText } from './identity-property.js';

/** The optional body of POST /api/backups/{target}/{filename}/verify (a bare POST verifies with the keys the server holds). */
export class VerifyBackupDto {
  @ApiPropertyOptional(IDENTITY_PROPERTY)
  @IsOptional()
  @IsIdentityText()
  identity?: string;
}
