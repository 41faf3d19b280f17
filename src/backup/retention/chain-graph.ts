import { type BackupKind, parseBackupName } from '../../archive-format/backup-filename.js';

/** A backup as a chain sees it: its name and time, its kind, and (for an increment) what it was recorded to need. */
export interface ChainPoint {
  filename: string;
  createdAt: Date;
  /** From the name when absent. */
  kind?: BackupKind;
  /** An increment's full backup, as recorded; null or absent when unknown. */
  base?: string | null;
  /** The point an increment was made against, as recorded; null or absent when unknown. */
  parent?: string | null;
}

/**
 * Which backups of one target each point needs to be restored, and which points need a given backup: the chains
 * of docs/incremental-backups.md over the backups listed now. Pure: no clock, no storage.
 *
 * What an increment needs:
 * - its parent, when the parent is listed, and its base when listed (the parent's own needs follow from the parent);
 * - when its parent is unknown (no record: copied in, or the record was lost) or no longer listed (a broken chain),
 *   what it might need: every backup older than it back to its base when the base is listed, else back to the
 *   newest full backup older than it, inclusive, else every older backup. Such an increment cannot be proven
 *   restorable, but nothing it might need is given up on a guess: a kept point never loses a backup it could need.
 * A full backup needs nothing.
 */
export class ChainGraph {
  /** Newest first, ties by name (as the catalog lists them). */
  private readonly newestFirst: ChainPoint[];
  private readonly byName: Map<string, ChainPoint>;
  private readonly needs = new Map<string, string[]>();
  private readonly neededBy = new Map<string, string[]>();

  constructor(points: readonly ChainPoint[]) {
    this.newestFirst = [...points].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.filename.localeCompare(a.filename));
    this.byName = new Map(this.newestFirst.map((p) => [p.filename, p]));
    this.newestFirst.forEach((point, index) => {
      const direct = this.directNeeds(point, index);
      this.needs.set(point.filename, direct);
      for (const name of direct) {
        const dependents = this.neededBy.get(name);
        if (dependents) dependents.push(point.filename);
        else this.neededBy.set(name, [point.filename]);
      }
    });
  }

  static kindOf(point: ChainPoint): BackupKind {
    return point.kind ?? parseBackupName(point.filename)?.kind ?? 'full';
  }

  /**
   * Every backup that `keep` need, each with the newest of them that needs it (`keep` themselves included when one
   * of them needs another): what rotation must keep beside what its rule keeps.
   */
  neededByAny(keep: Iterable<string>): Map<string, string> {
    const order = new Map(this.newestFirst.map((p, i) => [p.filename, i]));
    const roots = [...keep].filter((name) => order.has(name)).sort((a, b) => order.get(a)! - order.get(b)!);
    const needed = new Map<string, string>();
    for (const root of roots) {
      // Newest first: a backup reached already was reached from a newer point, and so were all the backups it needs.
      const stack = [...(this.needs.get(root) ?? [])];
      while (stack.length) {
        const name = stack.pop()!;
        if (needed.has(name)) continue;
        needed.set(name, root);
        stack.push(...(this.needs.get(name) ?? []));
      }
    }
    return needed;
  }

  /** The backups that need `filename` to be restored (directly or through others), newest first. */
  dependentsOf(filename: string): string[] {
    const found = new Set<string>();
    const stack = [...(this.neededBy.get(filename) ?? [])];
    while (stack.length) {
      const name = stack.pop()!;
      if (found.has(name) || name === filename) continue;
      found.add(name);
      stack.push(...(this.neededBy.get(name) ?? []));
    }
    return this.newestFirst.map((p) => p.filename).filter((name) => found.has(name));
  }

  private directNeeds(point: ChainPoint, index: number): string[] {
    if (ChainGraph.kindOf(point) === 'full') return [];
    const base = point.base && this.byName.has(point.base) ? point.base : undefined;
    if (point.parent && this.byName.has(point.parent) && point.parent !== point.filename) {
      return base && base !== point.parent ? [point.parent, base] : [point.parent];
    }
    // Unknown or missing parent: everything older back to the base, or to the newest older full backup.
    const out: string[] = [];
    for (const older of this.newestFirst.slice(index + 1)) {
      out.push(older.filename);
      if (base ? older.filename === base : ChainGraph.kindOf(older) === 'full') break;
    }
    return out;
  }
}
