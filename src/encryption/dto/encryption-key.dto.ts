import { ApiProperty } from '@nestjs/swagger';

/** One key of a target's keyring: its public recipient and its history, never its identity. */
export class EncryptionKeyDto {
  @ApiProperty({ example: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', description: "The key's public recipient" })
  recipient: string;

  @ApiProperty({ example: '2026-12-01T21:30:00.000Z' })
  created_at: string;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'When its recovery key was confirmed as kept (it then became the current key); null while pending',
  })
  confirmed_at: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'When a newer key replaced it; a retired key still decrypts the backups made with it' })
  retired_at: string | null;

  @ApiProperty({ description: 'Whether the server holds its identity (encrypted under the master key); false in write-only mode' })
  identity_stored: boolean;

  @ApiProperty({ description: 'The key new backups are encrypted to (while encryption is active)' })
  current: boolean;

  @ApiProperty({ description: 'A new key awaiting confirmation: not used for any backup yet' })
  pending: boolean;
}
