/**
 * Progress that tells time (issue 18): from bytes done, bytes in all and when the work began, the line
 * "elapsed 0:42 · 12.3 MB/s · about 1 min left" shown under a running backup, replication, verification or
 * restore staging. Plain functions, so the arithmetic is tested without a browser (progress.spec.ts).
 */
import { formatBytes } from './format';

export interface ProgressSample {
  bytesDone: number;
  /** 0 when not known yet: then there is no time left to tell. */
  bytesTotal: number;
  /** When the work whose bytes these are began (ISO time, or epoch ms). */
  startedAt: string | number | null | undefined;
  /** The page's clock, epoch ms. */
  now: number;
}

/** Below this much time or this many bytes a rate is noise: the line says only the elapsed time. */
const MIN_SAMPLE_MS = 1000;
const MIN_SAMPLE_BYTES = 1;

/** 42_000 → "0:42", 3_723_000 → "1:02:03": a clock, as a running counter reads. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** 12_300_000 → "12.3 MB/s" (the page's one unit system, powers of 1000). */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/**
 * A time left as a person says it: "less than a minute", "about 1 min", "about 12 min", "about 2 h 5 min".
 * To the nearest minute (an estimate from a mean rate is no finer); under 45 s says "less than a minute".
 */
export function formatTimeLeft(ms: number): string {
  if (ms < 45_000) return 'less than a minute';
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `about ${hours} h ${rest} min` : `about ${hours} h`;
}

export interface ProgressFigures {
  elapsedMs: number;
  /** Bytes per second since the start; null until there is enough to tell. */
  bytesPerSecond: number | null;
  /** At that rate, what remains; null without a rate or a total. */
  timeLeftMs: number | null;
}

/** The figures behind the line: elapsed since the start, the mean rate since then, and the time left at that rate. */
export function progressFigures(sample: ProgressSample): ProgressFigures | null {
  if (sample.startedAt === null || sample.startedAt === undefined) return null;
  const start = typeof sample.startedAt === 'number' ? sample.startedAt : Date.parse(sample.startedAt);
  if (!Number.isFinite(start)) return null;
  // A server clock a little ahead of the browser's must not make time run backwards.
  const elapsedMs = Math.max(0, sample.now - start);
  const done = Math.max(0, sample.bytesDone);
  const bytesPerSecond = elapsedMs >= MIN_SAMPLE_MS && done >= MIN_SAMPLE_BYTES ? (done / elapsedMs) * 1000 : null;
  const remaining = Math.max(0, sample.bytesTotal - done);
  const timeLeftMs = bytesPerSecond && sample.bytesTotal > 0 ? (remaining / bytesPerSecond) * 1000 : null;
  return { elapsedMs, bytesPerSecond, timeLeftMs };
}

/** "elapsed 0:42 · 12.3 MB/s · about 1 min left"; as much of it as is known ("elapsed 0:00" at the start). */
export function describeProgress(sample: ProgressSample): string | null {
  const figures = progressFigures(sample);
  if (!figures) return null;
  const parts = [`elapsed ${formatElapsed(figures.elapsedMs)}`];
  if (figures.bytesPerSecond !== null) parts.push(formatRate(figures.bytesPerSecond));
  if (figures.timeLeftMs !== null) parts.push(`${formatTimeLeft(figures.timeLeftMs)} left`);
  return parts.join(' · ');
}
