import type { BackupKind } from '../../archive-format/backup-filename.js';
import { isoSeconds } from '../../archive-format/backup-metadata.js';
import { formatBytes } from '../../common/format.js';
import { calendarBuckets } from '../retention/calendar-buckets.js';

/** A target's incremental policy, as `PATCH /api/targets/{id}` sets it (`full_every`, `max_chain_ratio`; docs/incremental-backups.md, "Turning it on"). */
export interface IncrementalPolicy {
  enabled: boolean;
  /** `daily` / `weekly` (calendar, in the service's time zone) or the number of increments after which a full backup is made. */
  full_every: 'daily' | 'weekly' | number;
  /** A full backup once the chain's increments add up to more than this share of its full archive's size. */
  max_chain_ratio: number;
}

/** The newest chain of a target, as its page index describes it. */
export interface ChainStats {
  /** The chain's full backup (its filename). */
  base: string;
  /** When the full backup was made (the time in its name). */
  baseAt: Date;
  /** The chain's newest point (its filename): the full backup itself right after it, else its newest increment. */
  last: string;
  /** When the newest point was made (the time in its name). */
  lastAt: Date;
  /** Increments made since the full backup. */
  increments: number;
  /** Bytes stored by those increments. */
  bytesSinceBase: number;
  /** Bytes stored by the full backup. */
  baseSize: number;
}

/** What the page index gave: the chain to extend, or why it cannot be used (a missing, unreadable or inconsistent index). */
export type ChainState = { usable: true; chain: ChainStats } | { usable: false; reason: string; logReason?: string };

export interface KindRequest {
  policy: IncrementalPolicy;
  /** `POST /api/backups/{target}`'s `kind`; undefined lets the policy decide (scheduled backups). */
  requested: BackupKind | undefined;
  chain: ChainState;
  /** The service's time zone (TZ): `daily` and `weekly` are its calendar days and ISO weeks. */
  timeZone: string;
  now: Date;
}

/** The kind a backup is made as; `reason` says why a full backup was made where an increment could have been (null otherwise). */
export interface KindDecision {
  kind: BackupKind;
  reason: string | null;
  /** The same reason for the log when it says more than the API may show (the server's paths); `reason` otherwise. */
  logReason?: string;
}

/** One database, by whether the page index (at the chain's newest point) and the installation have it. */
export interface DatabasePresence {
  name: string;
  indexed: boolean;
  current: boolean;
}

/**
 * Whether the next backup of a target is full or incremental, before any database is read
 * (docs/incremental-backups.md, "When the next backup is full instead"). The rules that need the snapshot
 * (a page size changed, a database added or removed, more than half of a database's pages changed, the
 * chain's objects gone from the target) are checked later, by the production; this class answers from the
 * policy, the request, the page index and the clock alone, so it is tested at any date and zone.
 */
export class BackupKindDecision {
  decide({ policy, requested, chain, timeZone, now }: KindRequest): KindDecision {
    // Policy off: the backup is made exactly as before; there is nothing to explain.
    if (!policy.enabled) return { kind: 'full', reason: requested === 'incremental' ? 'incremental backups are off for this target' : null };
    if (requested === 'full') return { kind: 'full', reason: 'a full backup was asked for' };
    if (!chain.usable) return { kind: 'full', reason: chain.reason, logReason: chain.logReason };
    const reason = this.chainComplete(policy, chain.chain, timeZone, now);
    return reason ? { kind: 'full', reason } : { kind: 'incremental', reason: null };
  }

  /**
   * Why an increment planned from the index cannot be made for these databases (the backup is then full, made
   * from the same snapshots), or undefined when it can: a database added or removed since the chain's newest
   * point. (A page size that changed, or more than half of a database's pages, is found by comparing the pages.)
   */
  afterSnapshot(databases: readonly DatabasePresence[]): string | undefined {
    for (const db of databases) {
      if (!db.indexed && db.current) return `the database ${db.name} was added since the chain's newest point`;
      if (db.indexed && !db.current) return `the database ${db.name} was removed since the chain's newest point`;
    }
    return undefined;
  }

  /**
   * Why the chain cannot take an increment named at `nameAt` (the clock was set back to or before its newest point),
   * or undefined when the name comes after that point. `nameAt` is the second the backup's name would carry
   * (ArchiveProducer's free name): `now`'s, or a later one while backups of the target already carry the earlier
   * seconds (a same-second clash moves a name on, and a name moved past the newest point is after it, as any later
   * name is). Asked last, once every link of the chain is known to be in the target: a link deleted by hand frees
   * its second, and the free name would then look like a clock set back rather than the missing link it is.
   * The producer names an increment after its chain's newest point whatever the clock says; this rule keeps a clock
   * that went back from extending the chain with names ahead of the time, and starts a new chain at the time instead.
   */
  clockBehind(chain: Pick<ChainStats, 'last' | 'lastAt'>, now: Date, nameAt: Date): string | undefined {
    if (Math.floor(nameAt.getTime() / 1000) > Math.floor(chain.lastAt.getTime() / 1000)) return undefined;
    return (
      `the time now (${isoSeconds(now)}) is not after the chain's newest point ${chain.last}: the clock was set back, ` +
      'and an increment named before the point it builds on would break the order of its chain'
    );
  }

  /**
   * Why the chain cannot be extended, given every link of it from its full backup to its newest point (`links`, in
   * that order) and the backups the target holds (`present`): the first link no longer there, named, or undefined when
   * all are. An increment built on a chain with a gap could never be restored (nor could the points before it be
   * reached from it), whoever removed the link (by hand, another program).
   */
  missingLink(links: readonly string[], present: ReadonlySet<string>): string | undefined {
    for (const [i, name] of links.entries()) {
      if (present.has(name)) continue;
      if (i === 0) return `the chain's full backup ${name} is no longer in the target`;
      if (i === links.length - 1) return `the chain's newest point ${name} is no longer in the target`;
      return `the chain's increment ${name} (${i} of ${links.length - 1} after its full backup ${links[0]}) is no longer in the target`;
    }
    return undefined;
  }

  /**
   * Why the chain cannot be extended with archives encrypted to `current` (the target's recipients now; null: plain),
   * given those its full backup was written with (`recorded`, null: plain), or undefined when they are the same set.
   * A chain is read with one set of keys: an increment encrypted to other recipients than its full backup (a key
   * rotated, a recipient added or removed, encryption turned on or off) would need two.
   */
  recipientsChanged(base: string, recorded: readonly string[] | null, current: readonly string[] | null): string | undefined {
    if (recorded === null && current === null) return undefined;
    if (recorded === null) return `encryption was turned on since the chain's full backup ${base}, which is plain; a chain is read with one set of keys`;
    if (current === null) return `encryption was turned off since the chain's full backup ${base}, which is encrypted; a chain is read with one set of keys`;
    const before = new Set(recorded);
    const now = new Set(current);
    const added = [...now].filter((r) => !before.has(r)).length;
    const removed = [...before].filter((r) => !now.has(r)).length;
    if (added === 0 && removed === 0) return undefined;
    return (
      `the target's encryption recipients changed since the chain's full backup ${base} (${added} added, ${removed} removed: ` +
      'a key rotated, or a recipient added or removed); a chain is read with one set of keys'
    );
  }

  /** Why the chain takes no more increments under `policy`, or undefined while it does. */
  private chainComplete(policy: IncrementalPolicy, chain: ChainStats, timeZone: string, now: Date): string | undefined {
    const { full_every: fullEvery } = policy;
    if (typeof fullEvery === 'number') {
      if (chain.increments >= fullEvery) {
        return `the chain of ${chain.base} already holds ${chain.increments} increment${chain.increments === 1 ? '' : 's'} (full_every ${fullEvery})`;
      }
    } else {
      const unit = fullEvery === 'daily' ? 'day' : 'week';
      const buckets = calendarBuckets(timeZone);
      // Only a later day or week: a clock set back to before the full backup's day is the clock rule's to name.
      if (buckets.of(unit, now) > buckets.of(unit, chain.baseAt)) {
        const when = fullEvery === 'daily' ? 'today' : 'this week (ISO weeks, Monday first)';
        return `the chain's full backup ${chain.base} was made before ${when} in ${timeZone} (full_every ${fullEvery})`;
      }
    }
    if (chain.bytesSinceBase > policy.max_chain_ratio * chain.baseSize) {
      return (
        `the chain's increments add up to ${formatBytes(chain.bytesSinceBase)}, more than ${policy.max_chain_ratio} of its full backup ` +
        `${chain.base} (${formatBytes(chain.baseSize)}; max_chain_ratio ${policy.max_chain_ratio})`
      );
    }
    return undefined;
  }
}
