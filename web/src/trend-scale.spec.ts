import { describe, expect, it } from '@jest/globals';
import { durationTickLabels, LOG_SCALE_SPREAD, linearScale, logScale, niceStep, sizeTickLabels, spread, timeAxis } from './trend-scale';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const BERLIN = 'Europe/Berlin';

describe('linearScale', () => {
  it('one point: an axis from zero with room above the value, nice ticks', () => {
    const scale = linearScale([1_234_567]);
    expect(scale.domain).toEqual([0, 1_500_000]);
    expect(scale.ticks).toEqual([0, 500_000, 1_000_000, 1_500_000]);
    expect(scale.position(1_234_567)).toBeGreaterThan(0.8);
    expect(scale.position(1_234_567)).toBeLessThanOrEqual(1);
  });

  it('two points: both within the axis, ticks 1, 2 or 5 times a power of ten apart', () => {
    const scale = linearScale([3_100, 7_900]);
    expect(scale.ticks).toEqual([0, 2_000, 4_000, 6_000, 8_000]);
    expect(scale.position(3_100)).toBeCloseTo(3_100 / 8_000);
  });

  it('only zeros or nothing: still an axis (0 to 1), not a division by zero', () => {
    expect(linearScale([0]).domain).toEqual([0, 1]);
    expect(linearScale([]).ticks[0]).toBe(0);
    expect(Number.isFinite(linearScale([0]).position(0))).toBe(true);
  });

  it('hundreds of points: at most the tick budget, every value inside the axis', () => {
    const values = Array.from({ length: 300 }, (_, i) => 50_000_000 + i * 123_457);
    const scale = linearScale(values, 5);
    expect(scale.ticks.length).toBeLessThanOrEqual(6);
    for (const v of values) expect(scale.position(v)).toBeLessThanOrEqual(1);
    expect(scale.ticks).toEqual([0, 25_000_000, 50_000_000, 75_000_000, 100_000_000]);
  });

  it('fractions do not show floating-point dust', () => {
    expect(linearScale([0.7]).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
  });
});

describe('niceStep', () => {
  it('rounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect([0.13, 1.7, 2.2, 3, 7, 420].map(niceStep)).toEqual([0.2, 2, 2.5, 5, 10, 500]);
  });
});

describe('outliers and the log scale', () => {
  const sizes = [40_000, 42_000, 45_000, 48_000, 9_000_000];

  it('a spread of more than 20 times is what offers the log scale', () => {
    expect(spread(sizes)).toBeGreaterThan(LOG_SCALE_SPREAD);
    expect(spread([40_000, 60_000, 80_000])).toBeLessThan(LOG_SCALE_SPREAD);
    expect(spread([5])).toBe(1);
  });

  it('on a linear axis the small archives crowd at the bottom; on the log axis they stand apart', () => {
    const linear = linearScale(sizes);
    expect(linear.position(48_000) - linear.position(40_000)).toBeLessThan(0.01);
    const log = logScale(sizes);
    expect(log.log).toBe(true);
    expect(log.domain).toEqual([10_000, 10_000_000]);
    expect(log.ticks).toEqual([10_000, 100_000, 1_000_000, 10_000_000]);
    expect(log.position(40_000)).toBeGreaterThan(0.15);
    expect(log.position(9_000_000)).toBeLessThanOrEqual(1);
  });

  it('a log axis within one decade gets ticks at 1, 2 and 5', () => {
    expect(logScale([300, 800]).ticks).toEqual([100, 200, 500, 1000]);
  });

  it('zero has no place on a log axis: it sits at the bottom', () => {
    expect(logScale([0, 500, 50_000]).position(0)).toBe(0);
  });
});

describe('timeAxis', () => {
  const at = Date.UTC(2026, 11, 3, 13, 30); // 14:30 in Berlin

  it('one run: an hour either side, the run in the middle, ticks on whole half hours of the reader’s clock', () => {
    const axis = timeAxis([at], 5, 'de-DE', BERLIN);
    expect(axis.position(at)).toBeCloseTo(0.5);
    expect(axis.ticks.map((t) => t.label)).toEqual(['13:30', '14:00', '14:30', '15:00', '15:30']);
    expect(axis.caption).toBe('03.12.2026');
  });

  it('two runs seconds apart: ticks with seconds', () => {
    const axis = timeAxis([at, at + 20_000], 4, 'de-DE', BERLIN);
    expect(axis.position(at)).toBeGreaterThan(0);
    expect(axis.position(at + 20_000)).toBeLessThan(1);
    expect(axis.ticks.length).toBeGreaterThanOrEqual(2);
    expect(axis.ticks.every((t) => /^14:30:\d\d$/.test(t.label))).toBe(true);
  });

  it('300 daily runs: at most the tick budget, on midnights, labelled by date in German, the caption a range', () => {
    const times = Array.from({ length: 300 }, (_, i) => Date.UTC(2026, 0, 1, 2) + i * DAY);
    const axis = timeAxis(times, 6, 'de-DE', BERLIN);
    expect(axis.ticks.length).toBeLessThanOrEqual(7);
    expect(axis.ticks.length).toBeGreaterThanOrEqual(2);
    for (const tick of axis.ticks) {
      expect(new Intl.DateTimeFormat('de-DE', { hour: '2-digit', minute: '2-digit', timeZone: BERLIN }).format(new Date(tick.at))).toBe('00:00');
      expect(tick.label).toMatch(/^\d{1,2}\. [A-ZÄÖÜ][a-zäöü]+\.?$/);
    }
    expect(axis.caption).toBe('01.01.2026 – 27.10.2026');
  });

  it('the same moments in English and another zone: the reader’s clock and words', () => {
    const axis = timeAxis([at], 5, 'en-US', 'America/New_York');
    expect(axis.ticks.map((t) => t.label)).toEqual(['07:30 AM', '08:00 AM', '08:30 AM', '09:00 AM', '09:30 AM']);
    expect(axis.caption).toBe('Dec 3, 2026');
  });
});

describe('tick labels in the locale', () => {
  it('sizes in one unit, with a decimal comma in German', () => {
    expect(sizeTickLabels([0, 500_000, 1_000_000, 1_500_000], 'de-DE')).toEqual(['0 MB', '0,5 MB', '1 MB', '1,5 MB']);
    expect(sizeTickLabels([0, 2_500, 5_000], 'en-GB')).toEqual(['0 KB', '2.5 KB', '5 KB']);
    expect(sizeTickLabels([1_000_000_000, 2_000_000_000], 'de-DE')).toEqual(['1 GB', '2 GB']);
  });

  it('a log axis: each decade in its own unit', () => {
    expect(sizeTickLabels(logScale([2_000, 9_000_000]).ticks, 'de-DE', true)).toEqual(['1 KB', '10 KB', '100 KB', '1 MB', '10 MB']);
  });

  it('durations in one unit, milliseconds to hours', () => {
    expect(durationTickLabels([0, 250, 500], 'de-DE')).toEqual(['0 ms', '250 ms', '500 ms']);
    expect(durationTickLabels([0, 1_500, 3_000], 'de-DE')).toEqual(['0 s', '1,5 s', '3 s']);
    // A top tick of 1 to 2 s: seconds, never a thousand milliseconds with a group separator ("1.000 ms").
    expect(durationTickLabels([0, 500, 1_000], 'de-DE')).toEqual(['0 s', '0,5 s', '1 s']);
    expect(durationTickLabels([0, 600, 1_200, 1_800], 'en-US')).toEqual(['0 s', '0.6 s', '1.2 s', '1.8 s']);
    expect(durationTickLabels([0, 200, 400, 600, 800], 'de-DE')).toEqual(['0 ms', '200 ms', '400 ms', '600 ms', '800 ms']);
    expect(durationTickLabels([0, 5 * MINUTE, 10 * MINUTE], 'de-DE')).toEqual(['0 min', '5 min', '10 min']);
    expect(durationTickLabels([0, 2 * HOUR, 4 * HOUR], 'en-GB')).toEqual(['0 h', '2 h', '4 h']);
  });
});
