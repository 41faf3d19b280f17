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
 * - when its parent is no longer listed (a broken chain) or unknown while its base is known, what it might need:
 *   every backup from its base's time to it (its base, when still listed, included);
 * - when nothing is known of its chain (no record: copied in, adopted from an archive whose metadata could not be
 *   read, or the record was lost), every backup older than it. Guessing one full backup instead (say, the newest
 *   older than it) could protect the wrong one: a full backup made between a chain's base and its increment
 *   (with the policy off, or by another installation) is not its base.
 * Such an increment cannot be proven restorable, but nothing it might need is given up on a guess: a kept point
 * never loses a backup it could need, and `guessed` says which increments were so read (rotation says so).
 * A full backup needs nothing.
 */
export class ChainGraph {
  /** Newest first, ties by name (as the catalog lists them). */
  private readonly newestFirst: ChainPoint[];
  private readonly byName: Map<string, ChainPoint>;
  private readonly needs = new Map<string, string[]>();
  private readonly neededBy = new Map<string, string[]>();
  /** Increments whose needs were not followed from their records but taken as all they might need, with why. */
  private readonly guesses = new Map<string, string>();

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
   * of them needs another), and, when it is kept only as what an increment of unknown or broken chain might need,
   * that increment and why (`guess`): what rotation must keep beside what its rule keeps.
   */
  neededByAny(keep: Iterable<string>): Map<string, { dependent: string; guess?: { increment: string; reason: string } }> {
    const order = new Map(this.newestFirst.map((p, i) => [p.filename, i]));
    const roots = [...keep].filter((name) => order.has(name)).sort((a, b) => order.get(a)! - order.get(b)!);
    const needed = new Map<string, { dependent: string; guess?: { increment: string; reason: string } }>();
    for (const root of roots) {
      // Newest first: a backup reached already was reached from a newer point, and so were all the backups it needs.
      const stack = (this.needs.get(root) ?? []).map((name) => ({ name, via: root }));
      while (stack.length) {
        const { name, via } = stack.pop()!;
        if (needed.has(name)) continue;
        const reason = this.guesses.get(via);
        needed.set(name, { dependent: root, ...(reason ? { guess: { increment: via, reason } } : {}) });
        stack.push(...(this.needs.get(name) ?? []).map((next) => ({ name: next, via: name })));
      }
    }
    return needed;
  }

  /** Why `filename`'s needs are a guess (every backup it might need), or undefined when they were followed from its records. */
  guessed(filename: string): string | undefined {
    return this.guesses.get(filename);
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
    // Unknown or missing parent: everything that might be a link, back to the base's time when the base is known.
    const recordedBase = point.base ? parseBackupName(point.base) : undefined;
    const from = recordedBase?.kind === 'full' ? recordedBase.at.getTime() : undefined;
    this.guesses.set(
      point.filename,
      from === undefined
        ? 'its chain is not recorded: every older backup is kept'
        : `its chain is ${point.parent ? 'broken' : 'not recorded'}: every backup back to its base ${point.base} is kept`,
    );
    const out: string[] = [];
    for (const older of this.newestFirst.slice(index + 1)) {
      if (from !== undefined && older.createdAt.getTime() < from) break;
      out.push(older.filename);
    }
    return out;
  }
}
