import type { RetentionRule } from '../../targets/target-definition.js';
import { calendarBuckets, type CalendarUnit } from './calendar-buckets.js';
import { ChainGraph, type ChainPoint } from './chain-graph.js';

/** However old they are, this many of the newest own backups are always kept (the spec's minimum). */
export const MINIMUM_KEPT = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A backup as retention sees it: its name, the time in its name, whether rotation may delete it, and, for an
 * increment, the chain it was recorded with (ChainPoint).
 */
export interface RetentionCandidate extends ChainPoint {
  filename: string;
  createdAt: Date;
  /** This installation's own (BackupFile.own): only these are counted and deleted. */
  own: boolean;
}

export interface KeptBackup {
  filename: string;
  /** Why it stays, every rule that keeps it: "newest of week 2026-W47", "one of the newest three", "within 90 days", ... */
  reasons: string[];
}

export interface RetentionPlan {
  /** Own backups no rule keeps, oldest first (the order rotation deletes them in). */
  deleted: string[];
  /** Every other backup, newest first, each with its reasons. */
  kept: KeptBackup[];
  /**
   * Kept increments whose chain is not recorded or is broken (ChainGraph): everything they might need is kept,
   * which may be more than they need. Newest first.
   */
  guessed: string[];
}

/** The calendar rules in the order restic and Kopia apply them, each with the RetentionRule field that sets it. */
const CALENDAR_RULES: ReadonlyArray<{ unit: CalendarUnit; field: keyof Omit<RetentionRule, 'retentionDays'> }> = [
  { unit: 'hour', field: 'keepHourly' },
  { unit: 'day', field: 'keepDaily' },
  { unit: 'week', field: 'keepWeekly' },
  { unit: 'month', field: 'keepMonthly' },
  { unit: 'year', field: 'keepYearly' },
];

/** True when any keep_* is set: retention days 0 then means "no rule by age" rather than "keep everything". */
export function hasCalendarRule(rule: RetentionRule): boolean {
  return CALENDAR_RULES.some(({ field }) => rule[field] !== null);
}

/**
 * Which backups rotation deletes, and why it keeps each other one. Pure: no clock, no storage.
 *
 * The rule, as restic's `forget` and Kopia's retention policy define it:
 * - a backup that is not this installation's is never deleted (nor counted by any rule below);
 * - the newest three own backups are always kept;
 * - without any keep_* (the spec's rule, unchanged): retention days 0 keeps everything, N deletes own
 *   backups older than N days;
 * - with a keep_* set: keep_hourly N keeps the newest backup of each of the N most recent wall-clock hours
 *   that have a backup (likewise days, ISO weeks, months, years, in `timeZone`); retention days N > 0 also keeps
 *   every backup of the last N days, and 0 adds nothing. A backup is kept when any rule keeps it.
 *
 * Chains (docs/incremental-backups.md): every rule above counts restorable points, and an increment is one. Then
 * each kept increment keeps what it needs to be restored (ChainGraph): its parent and base, and so on down to its
 * full backup; an increment whose chain is unknown or broken keeps everything it might need (back to its base's
 * time, or every older backup when nothing of its chain is known). A backup so kept says which kept point needs
 * it, or which increment might need it and why that is a guess (`guessed` lists those increments).
 *
 * `held` (name → why) are kept whatever the rule says: the chains running incremental backup jobs build on now.
 *
 * Age and buckets come from the time in the name (`createdAt`). Ties in time are broken by name, as the
 * catalog lists them, so the plan does not depend on the order of `backups`.
 */
export function planRetention(
  backups: readonly RetentionCandidate[],
  rule: RetentionRule,
  now: Date,
  timeZone: string,
  held: ReadonlyMap<string, string> = new Map(),
): RetentionPlan {
  const newestFirst = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.filename.localeCompare(a.filename));
  const reasons = new Map<string, string[]>(newestFirst.map((b) => [b.filename, []]));
  const keep = (name: string, reason: string) => reasons.get(name)!.push(reason);

  const own = newestFirst.filter((b) => b.own);
  for (const b of newestFirst) if (!b.own) keep(b.filename, "not this installation's backup (rotation deletes only its own)");
  for (const b of own.slice(0, MINIMUM_KEPT)) keep(b.filename, 'one of the newest three');

  const calendar = hasCalendarRule(rule);
  if (!calendar && rule.retentionDays === 0) {
    for (const b of own) keep(b.filename, 'retention_days 0 keeps every backup');
  }
  if (rule.retentionDays > 0) {
    const cutoff = now.getTime() - rule.retentionDays * DAY_MS;
    const within = `within ${rule.retentionDays} ${rule.retentionDays === 1 ? 'day' : 'days'}`;
    for (const b of own) if (b.createdAt.getTime() >= cutoff) keep(b.filename, within);
  }
  if (calendar) {
    const buckets = calendarBuckets(timeZone);
    for (const { unit, field } of CALENDAR_RULES) {
      let left = rule[field] ?? 0;
      let last: string | undefined;
      // Newest first: the first backup met in a bucket is that bucket's newest; each new bucket is the next most recent one.
      for (const b of own) {
        if (left === 0) break;
        const bucket = buckets.of(unit, b.createdAt);
        if (bucket === last) continue;
        last = bucket;
        left--;
        keep(b.filename, `newest of ${unit} ${bucket}`);
      }
    }
  }

  for (const [name, reason] of held) if (reasons.has(name)) keep(name, reason);

  const chains = new ChainGraph(newestFirst);
  const keptByRule = newestFirst.filter((b) => reasons.get(b.filename)!.length > 0).map((b) => b.filename);
  const guessed = new Set<string>();
  for (const [name, { dependent, guess }] of chains.neededByAny(keptByRule)) {
    if (guess) guessed.add(guess.increment);
    keep(name, guess ? `might be needed to restore ${guess.increment} (${guess.reason})` : `needed to restore ${dependent} (its chain)`);
  }

  const kept = newestFirst.filter((b) => reasons.get(b.filename)!.length > 0).map((b) => ({ filename: b.filename, reasons: reasons.get(b.filename)! }));
  const deleted = own
    .filter((b) => reasons.get(b.filename)!.length === 0)
    .map((b) => b.filename)
    .reverse();
  return { deleted, kept, guessed: newestFirst.map((b) => b.filename).filter((name) => guessed.has(name)) };
}

/** The rule in words, for log lines: "keep hourly 24, daily 7, weekly 4, monthly 12; within 90 days". */
export function describeRetention(rule: RetentionRule): string {
  const parts = CALENDAR_RULES.filter(({ field }) => rule[field] !== null).map(({ unit, field }) => `${unit === 'day' ? 'daily' : `${unit}ly`} ${rule[field]}`);
  const age = rule.retentionDays > 0 ? `within ${rule.retentionDays} days` : 'no rule by age';
  return parts.length ? `keep ${parts.join(', ')}; ${age}` : age;
}
