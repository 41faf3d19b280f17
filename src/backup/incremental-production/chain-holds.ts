import { Injectable } from '@nestjs/common';
import type { BackupTarget } from '../../common/backup-target.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';

/** The links of a chain that a running incremental backup job builds on: nothing of them may go until it ends. */
export interface ChainHold {
  target: BackupTarget;
  jobId: string;
  /** The chain's full backup and its newest point, as the page index names them. */
  base: string;
  last: string;
  /** Every backup held: base, last and each link between them. */
  links: ReadonlySet<string>;
}

/**
 * The chains running incremental backup jobs are extending, per target (docs/incremental-backups.md, "While an
 * increment is made"). An increment is only restorable with every link from its base to its parent, so while a
 * job builds on them DELETE refuses each of them (409 BACKUP_CHAIN_IN_USE, naming the job) and rotation keeps
 * them; the job checks again that they are all there before the page index moves to its increment. In memory
 * only: a hold lives exactly as long as its job does in this process.
 */
@Injectable()
export class ChainHolds {
  private readonly holds = new Set<ChainHold>();

  /** Holds `hold` until the returned function is called (once the job has ended, either way). */
  hold(hold: ChainHold): () => void {
    this.holds.add(hold);
    return () => this.holds.delete(hold);
  }

  /** The running job's hold that keeps `filename` in `target`, if any. */
  holderOf(target: BackupTarget, filename: string): ChainHold | undefined {
    for (const hold of this.holds) if (hold.target === target && hold.links.has(filename)) return hold;
    return undefined;
  }

  /** Every backup of `target` held now, with why: what rotation must keep beside what its rule keeps. */
  heldIn(target: BackupTarget): Map<string, string> {
    const held = new Map<string, string>();
    for (const hold of this.holds) {
      if (hold.target !== target) continue;
      for (const name of hold.links) held.set(name, reasonOf(hold));
    }
    return held;
  }

  /** BACKUP_CHAIN_IN_USE when a running job builds on `filename`: deleting it now would break the increment being made. */
  assertNotHeld(target: BackupTarget, filename: string): void {
    const hold = this.holderOf(target, filename);
    if (!hold) return;
    throw new DomainError(
      ErrorCode.BackupChainInUse,
      `${filename} cannot be deleted now: backup job ${hold.jobId} is making an increment on the chain from ${hold.base} to ${hold.last}, which needs it. ` +
        `Nothing was deleted. Wait for job ${hold.jobId} to finish (GET /api/backup-jobs/${hold.jobId}), then send the delete again ` +
        '(it then answers 409 BACKUP_HAS_DEPENDENTS while kept increments need it)',
      { filename, job_id: hold.jobId, base: hold.base, last: hold.last },
    );
  }
}

function reasonOf(hold: ChainHold): string {
  return `held by backup job ${hold.jobId}, which is making an increment on it`;
}
