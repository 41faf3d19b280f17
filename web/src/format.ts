/**
 * Display formats. Sizes: one unit system on the whole page, decimal SI (1 KB = 1000 bytes, MB, GB), as storage is billed
 * (R2's GB-month is 10^9 bytes): never MiB/GiB. Times: in the browser's zone and language with the zone named; the
 * service's schedule also in the service's zone (TZ). No raw ISO string reaches the page.
 */

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
  if (Number.isNaN(time)) return '–';
  return formatRelative(new Date(Math.min(time, now)).toISOString(), now);
}

/** The age of something made at `iso`, as of `now` (so a list's ages move on with the page's clock). */
export function ageSeconds(iso: string, now: number): number {
  return Math.max(0, (now - new Date(iso).getTime()) / 1000);
}

/** The browser's time zone, an IANA name ("Europe/Berlin"): every time on the page is in it and says so. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Formatters are costly to build and a list formats many times in a few zones: one per zone and style. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(style: 'dateTime' | 'clock' | 'shortDate' | 'shortDateWithYear' | 'parts', timeZone: string): Intl.DateTimeFormat {
  const key = `${style} ${timeZone}`;
  let format = formatters.get(key);
  if (!format) {
    const options: Record<typeof style, Intl.DateTimeFormatOptions> = {
      dateTime: { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' },
      clock: { hour: '2-digit', minute: '2-digit' },
      shortDate: { weekday: 'short', day: 'numeric', month: 'short' },
      shortDateWithYear: { day: 'numeric', month: 'short', year: 'numeric' },
      parts: { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' },
    };
    format = new Intl.DateTimeFormat(style === 'parts' ? 'en-US' : undefined, { ...options[style], timeZone });
    formatters.set(key, format);
  }
  return format;
}

/** The wall-clock reading of `date` in `timeZone`, as if it were UTC (to compare calendar days and find offsets). */
function wallClock(date: Date, timeZone: string): number {
  const parts = formatter('parts', timeZone).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
}

/** "Thu, 3 Dec 2026, 05:09 Europe/Berlin": a moment in the browser's zone (or `timeZone`), the zone named. */
export function formatDateTime(iso: string, timeZone: string = browserZone()): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '–' : `${formatter('dateTime', timeZone).format(date)} ${timeZone}`;
}

/** Days from `now`'s calendar day to `date`'s, in `timeZone` (0 today, -1 yesterday). */
function calendarDays(date: Date, now: Date, timeZone: string): number {
  const day = (d: Date) => Math.floor(wallClock(d, timeZone) / 86_400_000);
  return day(date) - day(now);
}

/**
 * A moment as a person reads it, in the browser's zone (named) and language: "today 14:30 Europe/Berlin, 16 minutes ago",
 * "yesterday 03:00 Europe/Berlin, 11 hours ago", "Mon 2 Mar 03:00 Europe/Berlin, 3 days ago".
 */
export function formatMoment(iso: string, now: number = Date.now(), past = false, timeZone: string = browserZone()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '–';
  const days = calendarDays(date, new Date(now), timeZone);
  const day =
    Math.abs(days) <= 1
      ? relative.format(days, 'day')
      : Math.abs(days) < 180
        ? formatter('shortDate', timeZone).format(date)
        : formatter('shortDateWithYear', timeZone).format(date);
  return `${day} ${formatter('clock', timeZone).format(date)} ${timeZone}, ${past ? formatAgo(iso, now) : formatRelative(iso, now)}`;
}

/**
 * A moment of the service's schedule, in the service's zone and the reader's: "03:00 America/New_York (09:00 your time)";
 * with `withDay`, "Fri, 4 Dec 2026, 03:00 America/New_York (09:00 your time)". The reader's time names its day when it
 * falls on another ("(Thu 21:00 your time)"), and is left out when both zones are the same.
 */
export function formatServiceTime(iso: string, serviceZone: string, options: { withDay?: boolean; viewerZone?: string } = {}): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '–';
  const viewerZone = options.viewerZone ?? browserZone();
  const there = options.withDay ? formatter('dateTime', serviceZone).format(date) : formatter('clock', serviceZone).format(date);
  const text = `${there} ${serviceZone}`;
  if (sameClock(date, serviceZone, viewerZone)) return text;
  const here = `${dayDiffers(date, serviceZone, viewerZone) ? `${formatter('shortDate', viewerZone).format(date)} ` : ''}${formatter('clock', viewerZone).format(date)}`;
  return `${text} (${here} your time)`;
}

function sameClock(date: Date, a: string, b: string): boolean {
  return a === b || wallClock(date, a) === wallClock(date, b);
}

function dayDiffers(date: Date, a: string, b: string): boolean {
  return Math.floor(wallClock(date, a) / 86_400_000) !== Math.floor(wallClock(date, b) / 86_400_000);
}

/** The moment a wall-clock time "HH:MM" falls on in `timeZone` on the calendar day of `on` there (DST-aware). */
export function wallClockMoment(hhmm: string, timeZone: string, on: Date = new Date()): Date {
  const [hours = 0, minutes = 0] = hhmm.split(':').map(Number);
  const today = new Date(wallClock(on, timeZone));
  const asUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), hours, minutes);
  // The zone's offset near that moment, asked twice: the first guess may be on the other side of a DST change.
  let guess = asUtc - (wallClock(new Date(asUtc), timeZone) - asUtc);
  guess = asUtc - (wallClock(new Date(guess), timeZone) - guess);
  return new Date(guess);
}

/** A schedule's wall-clock time "03:00" as "03:00 America/New_York (09:00 your time)". */
export function formatServiceClock(hhmm: string, serviceZone: string, options: { viewerZone?: string; on?: Date } = {}): string {
  return formatServiceTime(wallClockMoment(hhmm, serviceZone, options.on).toISOString(), serviceZone, { viewerZone: options.viewerZone });
}

/** The clock time of a moment in the browser's zone: "14:32" (a result's "Checked 14:32"). */
export function formatClock(at: number): string {
  return formatter('clock', browserZone()).format(new Date(at));
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
