import { describe, expect, it } from '@jest/globals';
import {
  ageSeconds,
  browserZone,
  formatAge,
  formatAgo,
  formatBytes,
  formatClock,
  formatDateTime,
  formatMoment,
  formatRelative,
  formatServiceClock,
  formatServiceTime,
  wallClockMoment,
} from './format';

// Local times (the browser's zone): the words depend on the calendar day where the reader is.
const at = (day: number, hour: number, minute = 0) => new Date(2026, 2, day, hour, minute);
const clock = (date: Date) => new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(date);
const zone = browserZone();
const utcClock = (hour: number, minute = 0) =>
  new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }).format(Date.UTC(2026, 0, 1, hour, minute));

describe('formatMoment', () => {
  it('says the day in words, the clock time with its zone, and how long ago', () => {
    const now = at(10, 14, 46).getTime();
    expect(formatMoment(at(10, 14, 30).toISOString(), now)).toBe(`today ${clock(at(10, 14, 30))} ${zone}, 16 minutes ago`);
    expect(formatMoment(at(9, 23, 0).toISOString(), now)).toBe(`yesterday ${clock(at(9, 23))} ${zone}, 16 hours ago`);
    expect(formatMoment(at(11, 1, 0).toISOString(), now)).toBe(`tomorrow ${clock(at(11, 1))} ${zone}, in 10 hours`);
  });

  it('gives the date of older moments', () => {
    const text = formatMoment(at(3, 3, 0).toISOString(), at(10, 12).getTime());
    expect(text).toMatch(/Mar/);
    expect(text).toMatch(/, 7 days ago$/);
  });

  it('counts calendar days in the zone it is given: 23:30 in New York is already tomorrow in Berlin', () => {
    const moment = '2026-03-03T04:30:00Z'; // 23:30 on the 2nd in New York (UTC-5), 05:30 on the 3rd in Berlin
    const now = Date.parse('2026-03-02T20:00:00Z'); // 15:00 on the 2nd in New York, 21:00 on the 2nd in Berlin
    expect(formatMoment(moment, now, false, 'America/New_York')).toMatch(/^today .+ America\/New_York, in 9 hours$/);
    expect(formatMoment(moment, now, false, 'Europe/Berlin')).toMatch(/^tomorrow .+ Europe\/Berlin, in 9 hours$/);
  });

  it('never shows a raw ISO string, even for one it cannot read', () => {
    expect(formatMoment('not a time')).toBe('–');
    expect(formatDateTime('2026-03-0')).toBe('–');
  });
});

describe('formatDateTime', () => {
  it('names the zone, the browser’s unless told another', () => {
    expect(formatDateTime('2026-03-02T20:00:00Z')).toMatch(new RegExp(`2026.* ${zone.replace('/', '\\/')}$`));
    const inNewYork = formatDateTime('2026-03-02T20:00:00Z', 'America/New_York');
    expect(inNewYork.endsWith(' America/New_York')).toBe(true);
    expect(inNewYork).toContain(utcClock(15));
    expect(inNewYork).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });
});

describe('formatServiceTime', () => {
  it('says the service’s time and zone, then the reader’s time: "03:00 America/New_York (09:00 your time)"', () => {
    const iso = '2026-12-04T08:00:00Z'; // 03:00 in New York (EST), 09:00 in Berlin (CET)
    expect(formatServiceTime(iso, 'America/New_York', { viewerZone: 'Europe/Berlin' })).toBe(`${utcClock(3)} America/New_York (${utcClock(9)} your time)`);
  });

  it('leaves the reader’s time out when both zones read the same', () => {
    expect(formatServiceTime('2026-12-04T08:00:00Z', 'UTC', { viewerZone: 'UTC' })).toBe(`${utcClock(8)} UTC`);
    expect(formatServiceTime('2026-12-04T08:00:00Z', 'Europe/Berlin', { viewerZone: 'Europe/Paris' })).toBe(`${utcClock(9)} Europe/Berlin`);
  });

  it('names the reader’s day when it is another, and the service’s date withDay', () => {
    const iso = '2026-12-04T22:30:00Z'; // 17:30 on Fri 4 Dec in New York, 07:30 on Sat 5 Dec in Tokyo
    const text = formatServiceTime(iso, 'America/New_York', { viewerZone: 'Asia/Tokyo', withDay: true });
    expect(text).toMatch(/^Fri.*4.*2026.* America\/New_York \(Sat.*5.* your time\)$/);
    expect(text).toContain(`${utcClock(17, 30)} America/New_York`);
    expect(text).toContain(`${utcClock(7, 30)} your time`);
  });
});

describe('formatServiceClock and wallClockMoment', () => {
  it('turns a schedule time in the service’s zone into the moment it falls on, across daylight saving', () => {
    expect(wallClockMoment('03:00', 'America/New_York', new Date('2026-12-04T12:00:00Z')).toISOString()).toBe('2026-12-04T08:00:00.000Z');
    expect(wallClockMoment('03:00', 'America/New_York', new Date('2026-07-04T12:00:00Z')).toISOString()).toBe('2026-07-04T07:00:00.000Z');
    expect(wallClockMoment('01:00', 'UTC', new Date('2026-07-04T12:00:00Z')).toISOString()).toBe('2026-07-04T01:00:00.000Z');
  });

  it('says "03:00 America/New_York (09:00 your time)" for a reader in Berlin in winter', () => {
    expect(formatServiceClock('03:00', 'America/New_York', { viewerZone: 'Europe/Berlin', on: new Date('2026-12-04T12:00:00Z') })).toBe(
      `${utcClock(3)} America/New_York (${utcClock(9)} your time)`,
    );
  });
});

describe('formatBytes', () => {
  it('uses decimal units (1 MB = 1,000,000 bytes), never MiB', () => {
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(1_500_000)).toBe(`${(1.5).toLocaleString()} MB`);
    expect(formatBytes(2_000_000_000)).toBe('2 GB');
  });
});

describe('formatAgo', () => {
  it('never says "in a moment" for the past, even when the time is a little ahead of the browser clock', () => {
    const now = at(10, 14, 46).getTime();
    expect(formatAgo(new Date(now + 5_000).toISOString(), now)).toBe('just now');
    expect(formatAgo(new Date(now + 10 * 60_000).toISOString(), now)).toBe('just now');
    expect(formatAgo(new Date(now - 10_000).toISOString(), now)).toBe('just now');
    expect(formatAgo(new Date(now - 5 * 60_000).toISOString(), now)).toBe('5 minutes ago');
  });

  it('moves on with the clock it is given', () => {
    const made = at(10, 14, 0).toISOString();
    expect(formatAgo(made, at(10, 14, 2).getTime())).toBe('2 minutes ago');
    expect(formatAgo(made, at(10, 17, 0).getTime())).toBe('3 hours ago');
  });

  it('keeps "in a moment" for what lies ahead (formatRelative, a next run)', () => {
    const now = at(10, 14, 46).getTime();
    expect(formatRelative(new Date(now + 5_000).toISOString(), now)).toBe('in a moment');
  });
});

describe('ageSeconds', () => {
  it('grows with now, so a list age is not frozen at the time the list was read', () => {
    const made = at(10, 14, 0).toISOString();
    expect(formatAge(ageSeconds(made, at(10, 14, 5).getTime()))).toBe('5 minutes');
    expect(formatAge(ageSeconds(made, at(10, 16, 0).getTime()))).toBe('2 hours');
    expect(ageSeconds(made, at(10, 13, 0).getTime())).toBe(0);
  });
});

describe('formatClock', () => {
  it('gives the clock time a result carries ("Checked 14:32")', () => {
    expect(formatClock(at(10, 14, 32).getTime())).toBe(clock(at(10, 14, 32)));
  });
});
