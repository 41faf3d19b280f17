import { describe, expect, it } from '@jest/globals';
import { formatMoment } from './format';

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
