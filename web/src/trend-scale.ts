/**
 * The trend chart's arithmetic, kept apart from the drawing so it can be tested without a browser: value
 * scales (linear from zero, or logarithmic when a few archives dwarf the others), "nice" tick values
 * (1, 2 or 5 times a power of ten), time ticks on the reader's calendar (the browser's zone), and tick labels
 * in the page's locale through Intl. `locale` undefined means the browser's own language, as in format.ts.
 */

export interface Scale {
  /** The value at the bottom and the top of the axis. */
  domain: [number, number];
  ticks: number[];
  log: boolean;
  /** A value's place on the axis, 0 at the bottom and 1 at the top. */
  position(value: number): number;
}

/** Sizes spread wider than this (largest over smallest) make the small ones a flat line on a linear axis: the log scale is offered. */
export const LOG_SCALE_SPREAD = 20;

/** 1, 2, 2.5 or 5 times a power of ten, the nearest at or above `step`. */
export function niceStep(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 1;
  const power = 10 ** Math.floor(Math.log10(step));
  const fraction = step / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * A linear axis from zero (a size or a duration is read against nothing) to a nice value at or above the
 * largest, with at most `maxTicks` ticks. One value, or only zeros, still gives an axis with room above.
 */
export function linearScale(values: readonly number[], maxTicks = 5): Scale {
  const finite = values.filter((v) => Number.isFinite(v) && v >= 0);
  const max = finite.length === 0 ? 0 : Math.max(...finite);
  const top = max > 0 ? max : 1;
  const step = niceStep(top / Math.max(1, maxTicks - 1));
  const high = Math.ceil(top / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; i * step <= high + step / 1e6; i++) ticks.push(round(i * step, step));
  return { domain: [0, high], ticks, log: false, position: (v) => v / high };
}

/**
 * A logarithmic axis over whole decades around the positive values, ticks at each power of ten (and at 2 and
 * 5 times it when there are few decades). Zero and negative values have no place on it: they sit at the bottom.
 */
export function logScale(values: readonly number[]): Scale {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length === 0) return { ...linearScale([]), log: true };
  let low = Math.floor(Math.log10(Math.min(...positive)));
  let high = Math.ceil(Math.log10(Math.max(...positive)));
  if (high === low) high++;
  if (high - low < 1) low--;
  const ticks: number[] = [];
  const decades = high - low;
  for (let e = low; e <= high; e++) {
    const power = 10 ** e;
    ticks.push(power);
    if (e < high && decades <= 2) ticks.push(2 * power, 5 * power);
  }
  const span = high - low;
  return {
    domain: [10 ** low, 10 ** high],
    ticks,
    log: true,
    position: (v) => (v > 0 ? (Math.log10(v) - low) / span : 0),
  };
}

/** Largest over smallest positive value: how far apart the archive sizes are (1 when there is at most one). */
export function spread(values: readonly number[]): number {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length < 2) return 1;
  return Math.max(...positive) / Math.min(...positive);
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Steps a time axis may take: the smallest that keeps within the tick budget wins. */
const TIME_STEPS = [
  SECOND,
  5 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  91 * DAY,
  365 * DAY,
];

export interface TimeAxis {
  /** The first and last moment on the axis (milliseconds since the epoch). */
  domain: [number, number];
  ticks: Array<{ at: number; label: string }>;
  /** The dates the axis covers, in the locale's words: "03.12.2026" or "01.12.2026 – 03.12.2026". */
  caption: string;
  position(at: number): number;
}

/**
 * A time axis for runs at `times` (ms): one run gets an hour either side, so it stands in the middle; more
 * runs span their range with a twentieth of it as margin. Ticks fall on round moments of the reader's clock
 * (whole minutes, hours, midnights), at most `maxTicks` of them, labelled by clock time within a day and by
 * date beyond.
 */
export function timeAxis(times: readonly number[], maxTicks = 6, locale?: string, timeZone?: string): TimeAxis {
  const finite = times.filter(Number.isFinite);
  const first = finite.length ? Math.min(...finite) : Date.now();
  const last = finite.length ? Math.max(...finite) : first;
  const margin = last > first ? (last - first) / 20 : HOUR;
  const start = first - margin;
  const end = last + margin;
  const budget = Math.max(2, maxTicks);
  const step = TIME_STEPS.find((s) => (end - start) / s <= budget) ?? Math.ceil((end - start) / budget / DAY) * DAY;
  const withSeconds = step < MINUTE;
  const label =
    step >= DAY
      ? new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone })
      : new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: withSeconds ? '2-digit' : undefined, timeZone });
  const ticks: Array<{ at: number; label: string }> = [];
  for (let at = roundUp(start, step, timeZone); at <= end && ticks.length < budget + 1; at = next(at, step, timeZone)) {
    ticks.push({ at, label: label.format(new Date(at)) });
  }
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone });
  const from = date.format(new Date(first));
  const to = date.format(new Date(last));
  return {
    domain: [start, end],
    ticks,
    caption: from === to ? from : `${from} – ${to}`,
    position: (at) => (at - start) / (end - start),
  };
}

/** The offset of `timeZone` (or the browser's) from UTC at `at`, in ms: round moments are round on the reader's clock. */
function zoneOffset(at: number, timeZone?: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The first round moment at or after `at` for `step`, on the reader's clock. */
function roundUp(at: number, step: number, timeZone?: string): number {
  const offset = zoneOffset(at, timeZone);
  const unit = Math.min(step, DAY);
  const local = Math.ceil((at + offset) / unit) * unit;
  return local - zoneOffset(local - offset, timeZone);
}

/** The tick after `at`: `step` later, kept on midnight across daylight-saving changes for steps of days. */
function next(at: number, step: number, timeZone?: string): number {
  if (step < DAY) return at + step;
  return roundUp(at + step - 2 * HOUR, DAY, timeZone);
}

const SIZE_UNITS: Array<[number, string]> = [
  [1e12, 'TB'],
  [1e9, 'GB'],
  [1e6, 'MB'],
  [1e3, 'KB'],
  [1, 'bytes'],
];

/**
 * Formats the ticks of a size axis in the locale: a linear axis in one unit (the largest tick's: "0 MB",
 * "0,5 MB", "1 MB"), a log axis, whose ticks span decades, each in its own ("1 KB", "10 KB", "1 MB").
 */
export function sizeTickLabels(ticks: readonly number[], locale?: string, log = false): string[] {
  const unitOf = (value: number) => SIZE_UNITS.find(([f]) => value >= f) ?? ([1, 'bytes'] as [number, string]);
  if (log) return ticks.map((t) => labels([t], ...unitOf(t), locale)[0] as string);
  return labels(ticks, ...unitOf(Math.max(0, ...ticks)), locale);
}

const DURATION_UNITS: Array<[number, string]> = [
  [HOUR, 'h'],
  [MINUTE, 'min'],
  [SECOND, 's'],
  [1, 'ms'],
];

/**
 * Formats every tick of a duration axis (ms) in one unit, in the locale: "0 s", "0,5 s", "1 s". The largest unit in
 * which the top tick is 2 or more ("90 s" reads better than "1,5 min"), unless the next smaller one would need four
 * digits: a top tick of 1 to 2 s is in seconds, not "1.000 ms" / "1,000 ms", whose group separator reads as a
 * decimal point in half the locales.
 */
export function durationTickLabels(ticks: readonly number[], locale?: string): string[] {
  const top = Math.max(0, ...ticks);
  const smaller = (i: number) => DURATION_UNITS[i + 1]?.[0] ?? Infinity;
  const [factor, unit] = DURATION_UNITS.find(([f], i) => top >= 2 * f || top >= 1000 * smaller(i)) ?? ([1, 'ms'] as [number, string]);
  return labels(ticks, factor, unit, locale);
}

function labels(ticks: readonly number[], factor: number, unit: string, locale?: string): string[] {
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 3 });
  return ticks.map((t) => `${number.format(t / factor)} ${unit}`);
}

/** A value rounded to the precision of `step`, so 0.1 + 0.2 shows as 0.3. */
function round(value: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(value.toFixed(Math.min(digits, 20)));
}
