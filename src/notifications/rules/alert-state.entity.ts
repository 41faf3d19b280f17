import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A failure that is going on, for the repeat rule (RepeatRule): one row per target (or folder) and kind of
 * failure while it lasts, deleted when it ends. In the notifications database (DATA_DIR/.notifications.db),
 * so that a restart neither repeats the first message nor forgets that a failure is going on.
 */
@Entity('alert_states')
export class AlertStateEntity {
  /** `<event>:<subject>`: `backup.failed:r2`, `backup.overdue:local`, `disk.low:/srv/data`. */
  @PrimaryColumn('text')
  key: string;

  /** The failure event: backup.failed, backup.overdue, disk.low. */
  @Column('text')
  event: string;

  /** ISO 8601 of the first failure. */
  @Column('text')
  since: string;

  /** Failures counted since then (the first included). */
  @Column('integer')
  failures: number;

  /** ISO 8601 of the latest failure. */
  @Column('text')
  lastFailureAt: string;

  /** ISO 8601 of the last message sent about it (the first, or the latest daily reminder). */
  @Column('text')
  lastSentAt: string;
}
