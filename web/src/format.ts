/** Display formats: sizes in SI units (as storage is billed), times in the browser's zone and language. */

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toLocaleString(undefined, { maximumFractionDigits: value < 10 ? 2 : value < 100 ? 1 : 0 })} ${UNITS[unit]}`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toLocaleString(undefined, { maximumFractionDigits: 1 })} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  if (minutes < 60) return `${minutes} min ${rest} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "3 days", "5 hours", "2 minutes", "just now": an age given in seconds. */
export function formatAge(seconds: number): string {
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.round(seconds / 3600);
  if (hours < 36) return plural(hours, 'hour');
  return plural(Math.round(seconds / 86400), 'day');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "in 3 hours", "yesterday", "2 minutes ago": for moments that may lie ahead (a next run). */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const diff = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return diff > 0 ? 'in a moment' : 'just now';
  if (abs < 3600) return relative.format(Math.round(diff / 60), 'minute');
  if (abs < 36 * 3600) return relative.format(Math.round(diff / 3600), 'hour');
  return relative.format(Math.round(diff / 86400), 'day');
}

/**
 * How long ago something happened: "just now", "5 minutes ago", "yesterday". A past event never reads as
 * "in a moment": a time a little ahead of the browser's clock (the service's clock runs a few seconds fast)
 * is "just now".
 */
export function formatAgo(iso: string, now: number = Date.now()): string {
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return iso;
  return formatRelative(new Date(Math.min(time, now)).toISOString(), now);
}

/** The age of something made at `iso`, as of `now` (so a list's ages move on with the page's clock). */
export function ageSeconds(iso: string, now: number): number {
  return Math.max(0, (now - new Date(iso).getTime()) / 1000);
}

const dateTime = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

const clockTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const shortDate = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const shortDateWithYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });

/** Days from `now`'s calendar day to `date`'s, in the browser's zone (0 today, -1 yesterday). */
function calendarDays(date: Date, now: Date): number {
  const midnight = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  return Math.round((midnight(date) - midnight(now)) / 86_400_000);
}

/**
 * A moment as a person reads it, in the browser's zone and language: "today 14:30, 16 minutes ago",
 * "yesterday 03:00, 11 hours ago", "Mon 2 Mar 03:00, 3 days ago", "tomorrow 01:00, in 10 hours".
 */
export function formatMoment(iso: string, now: number = Date.now(), past = false): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const days = calendarDays(date, new Date(now));
  const day = Math.abs(days) <= 1 ? relative.format(days, 'day') : Math.abs(days) < 180 ? shortDate.format(date) : shortDateWithYear.format(date);
  return `${day} ${clockTime.format(date)}, ${past ? formatAgo(iso, now) : formatRelative(iso, now)}`;
}

/** The clock time of a moment in the browser's zone: "14:32" (a result's "Checked 14:32"). */
export function formatClock(at: number): string {
  return clockTime.format(new Date(at));
}

/** What a running backup is doing, in words. */
export function phaseLabel(phase: string): string {
  switch (phase) {
    case 'queued':
      return 'Waiting to start';
    case 'checking':
      return 'Checking disk space and the target';
    case 'snapshotting':
      return 'Snapshotting the databases';
    case 'archiving':
      return 'Compressing and writing the archive';
    case 'done':
      return 'Finishing';
    default:
      return phase;
  }
}
