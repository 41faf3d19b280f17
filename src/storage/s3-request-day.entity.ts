import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The S3 requests one target sent on one UTC day, by R2's billing class (S3RequestLedger). */
@Entity('s3_request_days')
export class S3RequestDayEntity {
  @PrimaryColumn('text')
  target: string;

  /** The UTC day, YYYY-MM-DD. */
  @PrimaryColumn('text')
  day: string;

  @Column('integer', { name: 'class_a', default: 0 })
  classA: number;

  @Column('integer', { name: 'class_b', default: 0 })
  classB: number;

  /** Deletes and aborts: counted, not billed by R2. */
  @Column('integer', { default: 0 })
  free: number;
}
