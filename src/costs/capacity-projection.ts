import { hasCalendarRule, planRetention } from '../backup/retention/retention-planner.js';
import type { RetentionRule } from '../targets/target-definition.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** The archives the growth is measured on: those of the last 30 days. */
export const GROWTH_WINDOW_DAYS = 30;
/**
 * The shortest span of recent backups a rate is given for: backups minutes apart (a few Backup Now clicks) would
 * otherwise read as thousands a day and gigabytes of growth a day.
 */
export const MIN_GROWTH_SPAN_DAYS = 1;
/** The simulated series is at most this long; a longer one is spaced out (an approximation for hourly backups kept for years). */
const MAX_SIMULATED = 5_000;

/** An archive as the projection reads it. */
export interface SizedArchive {
  sizeBytes: number;
  createdAt: Date;
  /** Rotation may delete it (this installation's): the others stay whatever the rule. */
  own: boolean;
}

/** How a target's archives grow, measured on the recent ones. */
export interface ArchiveGrowth {
  /** The archives of the last 30 days. */
  recentArchives: number;
  /** How many backups a day: from the spacing of the recent ones; null with fewer than two, or spread over less than a day. */
  backupsPerDay: number | null;
  /** The change of an archive's size per day (least squares over the recent ones); null when backupsPerDay is. */
  archiveBytesPerDay: number | null;
  /** The newest archive's size; null when there is none. */
  newestArchiveBytes: number | null;
}

/** Growth of the archives made in the last GROWTH_WINDOW_DAYS before `now`. */
export function archiveGrowth(archives: readonly SizedArchive[], now: Date): ArchiveGrowth {
  const from = now.getTime() - GROWTH_WINDOW_DAYS * DAY_MS;
  const recent = archives.filter((a) => a.createdAt.getTime() >= from).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const newest = [...archives].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  const growth: ArchiveGrowth = { recentArchives: recent.length, backupsPerDay: null, archiveBytesPerDay: null, newestArchiveBytes: newest?.sizeBytes ?? null };
  if (recent.length < 2) return growth;
  const days = recent.map((a) => (a.createdAt.getTime() - recent[0].createdAt.getTime()) / DAY_MS);
  const span = days[days.length - 1];
  if (span < MIN_GROWTH_SPAN_DAYS) return growth;
  growth.backupsPerDay = (recent.length - 1) / span;
  const meanX = days.reduce((s, x) => s + x, 0) / days.length;
  const meanY = recent.reduce((s, a) => s + a.sizeBytes, 0) / recent.length;
  let num = 0;
  let den = 0;
  recent.forEach((a, i) => {
    num += (days[i] - meanX) * (a.sizeBytes - meanY);
    den += (days[i] - meanX) ** 2;
  });
  growth.archiveBytesPerDay = num / den;
  return growth;
}

/**
 * How many of its own backups the rule keeps once it has run long enough, with one backup every `intervalMs`:
 * the rule (RetentionPlanner, the one rotation applies) is run on a series of backups at that spacing reaching back
 * as far as any of its parts looks. Null when the rule keeps every backup (retention 0 without a calendar rule).
 */
export function keptUnderRule(rule: RetentionRule, intervalMs: number, now: Date, timeZone: string): number | null {
  if (!hasCalendarRule(rule) && rule.retentionDays === 0) return null;
  const reach =
    rule.retentionDays * DAY_MS +
    (rule.keepHourly ?? 0) * HOUR_MS +
    (rule.keepDaily ?? 0) * DAY_MS +
    (rule.keepWeekly ?? 0) * 7 * DAY_MS +
    (rule.keepMonthly ?? 0) * 31 * DAY_MS +
    (rule.keepYearly ?? 0) * 366 * DAY_MS;
  const spacing = Math.max(intervalMs, reach / MAX_SIMULATED, 60_000);
  const count = Math.ceil(reach / spacing) + 3;
  const series = Array.from({ length: count }, (_, i) => ({
    filename: String(i).padStart(6, '0'),
    createdAt: new Date(now.getTime() - i * spacing),
    own: true,
  }));
  return planRetention(series, rule, now, timeZone).kept.length;
}

/**
 * The size the target will hold once the rule has run long enough: the archives that are not this installation's
 * (never deleted) plus the number the rule keeps times the newest archive's size. Null when the rule keeps
 * everything (the size then grows with every backup) or there is no archive yet.
 */
export function projectedBytes(archives: readonly SizedArchive[], growth: ArchiveGrowth, kept: number | null): number | null {
  if (kept === null || growth.newestArchiveBytes === null) return null;
  const others = archives.filter((a) => !a.own).reduce((s, a) => s + a.sizeBytes, 0);
  return others + kept * growth.newestArchiveBytes;
}
