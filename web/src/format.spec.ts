import { describe, expect, it } from '@jest/globals';
import { ageSeconds, formatAge, formatAgo, formatClock, formatMoment, formatRelative } from './format';

// Local times (the browser's zone): the words depend on the calendar day where the reader is.
const at = (day: number, hour: number, minute = 0) => new Date(2026, 2, day, hour, minute);
const clock = (date: Date) => new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(date);

describe('formatMoment', () => {
  it('says the day in words, the clock time and how long ago', () => {
    const now = at(10, 14, 46).getTime();
    expect(formatMoment(at(10, 14, 30).toISOString(), now)).toBe(`today ${clock(at(10, 14, 30))}, 16 minutes ago`);
    expect(formatMoment(at(9, 23, 0).toISOString(), now)).toBe(`yesterday ${clock(at(9, 23))}, 16 hours ago`);
    expect(formatMoment(at(11, 1, 0).toISOString(), now)).toBe(`tomorrow ${clock(at(11, 1))}, in 10 hours`);
  });

  it('gives the date of older moments', () => {
    const text = formatMoment(at(3, 3, 0).toISOString(), at(10, 12).getTime());
    expect(text).toMatch(/Mar/);
    expect(text).toMatch(/, 7 days ago$/);
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
