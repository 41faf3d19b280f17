import { describe, expect, it } from '@jest/globals';
import { describeProgress, formatElapsed, formatTimeLeft, progressFigures } from './progress';

const START = Date.parse('2026-03-10T14:30:00.000Z');

describe('formatElapsed', () => {
  it('reads like a running clock: minutes and seconds, hours once there are any', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(42_400)).toBe('0:42');
    expect(formatElapsed(61_000)).toBe('1:01');
    expect(formatElapsed(3_723_000)).toBe('1:02:03');
    expect(formatElapsed(-5_000)).toBe('0:00');
  });
});

describe('formatTimeLeft', () => {
  it('says minutes to the nearest one, and "less than a minute" for seconds', () => {
    expect(formatTimeLeft(20_000)).toBe('less than a minute');
    expect(formatTimeLeft(50_000)).toBe('about 1 min');
    expect(formatTimeLeft(61_000)).toBe('about 1 min');
    expect(formatTimeLeft(100_000)).toBe('about 2 min');
    expect(formatTimeLeft(3_600_000)).toBe('about 1 h');
    expect(formatTimeLeft(7_500_000)).toBe('about 2 h 5 min');
  });
});

describe('describeProgress', () => {
  it('gives elapsed time, the rate since the start and the time left at that rate', () => {
    // 42 s, 516.6 MB done of 1.25 GB: 12.3 MB/s, 733.4 MB left ≈ 59.6 s → about 1 min.
    const text = describeProgress({ bytesDone: 516_600_000, bytesTotal: 1_250_000_000, startedAt: new Date(START).toISOString(), now: START + 42_000 });
    expect(text).toBe('elapsed 0:42 · 12.3 MB/s · about 1 min left');
  });

  it('says only the elapsed time while there is nothing to measure a rate from', () => {
    expect(describeProgress({ bytesDone: 0, bytesTotal: 1000, startedAt: START, now: START + 5_000 })).toBe('elapsed 0:05');
    expect(describeProgress({ bytesDone: 500, bytesTotal: 1000, startedAt: START, now: START + 400 })).toBe('elapsed 0:00');
  });

  it('leaves the time left out when the total is not known, and is empty without a start', () => {
    expect(describeProgress({ bytesDone: 2_000_000, bytesTotal: 0, startedAt: START, now: START + 2_000 })).toBe('elapsed 0:02 · 1 MB/s');
    expect(describeProgress({ bytesDone: 10, bytesTotal: 100, startedAt: null, now: START })).toBeNull();
    expect(describeProgress({ bytesDone: 10, bytesTotal: 100, startedAt: 'not a time', now: START })).toBeNull();
  });

  it('does not let a server clock ahead of the browser make time run backwards', () => {
    expect(progressFigures({ bytesDone: 10, bytesTotal: 100, startedAt: START + 3_000, now: START })).toEqual({
      elapsedMs: 0,
      bytesPerSecond: null,
      timeLeftMs: null,
    });
  });
});
