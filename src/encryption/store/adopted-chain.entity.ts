import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The chain of an increment this installation did not write but adopted (POST /api/backups/{target}/{file}/adopt),
 * as its own metadata names it (ArchiveProvenance.recordAdoptedChain). Kept apart from `written_archives`: a row
 * there says "made here" (its hash is what was uploaded), which an adopted archive never is.
 */
@Entity('adopted_chains')
export class AdoptedChainEntity {
  @PrimaryColumn('text')
  target: string;

  @PrimaryColumn('text')
  filename: string;

  /** The increment's full backup, from its metadata's `base`. */
  @Column('text')
  base: string;

  /** The point it was made against, from its metadata's `parent`. */
  @Column('text')
  parent: string;
}
