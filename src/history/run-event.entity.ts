import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { RunKindName } from './run-row.js';

/** A verification, rotation or restore (or a scheduled backup that failed before it became a job), as it ended. */
@Entity('run_events')
@Index(['target', 'id'])
export class RunEventEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column('text')
  kind: RunKindName;

  @Column('text')
  target: string;

  @Column('text')
  startedAt: string;

  @Column('text')
  finishedAt: string;

  @Column('text')
  trigger: string;

  @Column('text')
  result: string;

  @Column('integer', { nullable: true })
  durationMs: number | null;

  @Column('integer', { nullable: true })
  sizeBytes: number | null;

  @Column('text', { nullable: true })
  errorCode: string | null;

  @Column('text', { nullable: true })
  message: string | null;

  @Column('text', { nullable: true })
  file: string | null;
}
