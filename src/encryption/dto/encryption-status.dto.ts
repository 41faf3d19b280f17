import { ApiProperty } from '@nestjs/swagger';
import type { EncryptionStatus } from '../encryption-status.js';
import { EncryptionKeyDto } from './encryption-key.dto.js';

export class EncryptionStatusDto {
  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: string;

  @ApiProperty({
    enum: ['off', 'awaiting_confirmation', 'active'],
    description:
      'off: future backups are plain. awaiting_confirmation: a key was made and its recovery key shown; backups stay plain until POST .../confirm. ' +
      'active: backups are encrypted (.tar.gz.age) to `recipients`',
  })
  state: 'off' | 'awaiting_confirmation' | 'active';

  @ApiProperty({ description: 'Write-only mode: the server holds no identity of the target, only recipients' })
  write_only: boolean;

  @ApiProperty({
    type: [String],
    description:
      "What backups are encrypted to once active: the key's recipient (the current one, or the first key awaiting confirmation) and the user's recipients",
  })
  recipients: string[];

  @ApiProperty({ nullable: true, type: String, description: "The current key's recipient; null until a key is confirmed" })
  key_recipient: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'A new key awaiting confirmation (the first one, or a rotation), or null' })
  pending_recipient: string | null;

  @ApiProperty({ type: [String], description: "The user's own extra recipients" })
  user_recipients: string[];

  @ApiProperty({ type: [EncryptionKeyDto], description: 'The keyring, oldest first: current, pending and retired keys (never an identity)' })
  keys: EncryptionKeyDto[];
}

/** A target's encryption as the API (and the command line's `key show`) shows it: never an identity. */
export function encryptionStatusDto(status: EncryptionStatus): EncryptionStatusDto {
  return {
    target: status.target,
    state: status.state,
    write_only: status.writeOnly,
    recipients: status.recipients,
    key_recipient: status.keyRecipient,
    pending_recipient: status.pendingRecipient,
    user_recipients: status.userRecipients,
    keys: status.keys.map((key) => ({
      recipient: key.recipient,
      created_at: key.createdAt.toISOString(),
      confirmed_at: key.confirmedAt?.toISOString() ?? null,
      retired_at: key.retiredAt?.toISOString() ?? null,
      identity_stored: key.identityStored,
      current: key.current,
      pending: key.pending,
    })),
  };
}
