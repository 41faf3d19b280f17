/** The calendar units of keep_hourly … keep_yearly. */
export type CalendarUnit = 'hour' | 'day' | 'week' | 'month' | 'year';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The calendar bucket of an instant, as the wall clock in one time zone shows it: "2026-11-20 14:00", "2026-11-20",
 * "2026-W47" (ISO week, its week-numbering year), "2026-11", "2026". An hour bucket is a wall-clock hour, as restic's:
 * the hour repeated when the clocks go back is one bucket, and the hour skipped when they go forward has none.
 */
export class CalendarBuckets {
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
    });
  }

  of(unit: CalendarUnit, at: Date): string {
    const { year, month, day, hour } = this.wallClock(at);
    const date = `${year}-${pad(month)}-${pad(day)}`;
    switch (unit) {
      case 'hour':
        return `${date} ${pad(hour)}:00`;
      case 'day':
        return date;
      case 'week': {
        const { weekYear, week } = isoWeek(year, month, day);
        return `${weekYear}-W${pad(week)}`;
      }
      case 'month':
        return `${year}-${pad(month)}`;
      case 'year':
        return String(year);
    }
  }

  private wallClock(at: Date): { year: number; month: number; day: number; hour: number } {
    const parts: Record<string, number> = {};
    for (const part of this.format.formatToParts(at)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
    return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour };
  }
}

/** Cached per zone: a planner call asks for thousands of buckets, and building an Intl formatter is not free. */
const byZone = new Map<string, CalendarBuckets>();

export function calendarBuckets(timeZone: string): CalendarBuckets {
  let buckets = byZone.get(timeZone);
  if (!buckets) byZone.set(timeZone, (buckets = new CalendarBuckets(timeZone)));
  return buckets;
}

/** ISO 8601 week of a calendar date: the week (Monday to Sunday) belongs to the year its Thursday is in. */
function isoWeek(year: number, month: number, day: number): { weekYear: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const weekday = new Date(date).getUTCDay() || 7; // Monday 1 … Sunday 7
  const thursday = new Date(date + (4 - weekday) * DAY_MS);
  const weekYear = thursday.getUTCFullYear();
  const dayOfYear = Math.round((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / DAY_MS);
  return { weekYear, week: Math.floor(dayOfYear / 7) + 1 };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
