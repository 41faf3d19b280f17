import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One notification channel. Its secrets are never stored in clear: `sealed` maps each secret field (url,
 * secret, headers, token, smtp_password) to its SecretCipher ciphertext, sealed with the channel's id and
 * the field's name as the additional data, so a ciphertext copied to another channel or field does not open.
 */
@Entity('channels')
export class ChannelEntity {
  @PrimaryColumn('text')
  id: string;

  @Column('text')
  name: string;

  @Column('text')
  type: string;

  /** JSON array of event names. */
  @Column('text')
  events: string;

  /** JSON array of targets; null: every target. */
  @Column('text', { nullable: true })
  targets: string | null;

  @Column('boolean')
  enabled: boolean;

  /** JSON object of the type's non-secret fields (url_host, header names, SMTP host, port, user, from, to...). */
  @Column('text')
  settings: string;

  /** JSON object: secret field name → sealed value. */
  @Column('text')
  sealed: string;

  @Column('text')
  createdAt: string;

  @Column('text')
  updatedAt: string;
}
