import { parseEnvironment } from '../config/environment.js';
import { SchedulingOptions } from './scheduling-options.js';

describe('SchedulingOptions', () => {
  const env = (raw: Record<string, string>) => parseEnvironment({ TZ: 'Europe/Berlin', ...raw });

  it('takes the switch, the zone and the duplicate window from the environment; the catch-up delay defaults to 45 s', () => {
    expect(SchedulingOptions.fromEnvironment(env({}))).toEqual({
      enabled: true,
      timeZone: 'Europe/Berlin',
      duplicateWindowMinutes: 60,
      catchUpDelayMs: 45_000,
    });
    expect(
      SchedulingOptions.fromEnvironment(env({ SENTINEL_SCHEDULES: 'off', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0', SENTINEL_CATCH_UP_DELAY_SECONDS: '0' })),
    ).toEqual({
      enabled: false,
      timeZone: 'Europe/Berlin',
      duplicateWindowMinutes: 0,
      catchUpDelayMs: 0,
    });
  });

  it('refuses a bad catch-up delay, naming the variable', () => {
    expect(() => SchedulingOptions.fromEnvironment(env({ SENTINEL_CATCH_UP_DELAY_SECONDS: '30s' }))).toThrow(
      "Invalid environment variable SENTINEL_CATCH_UP_DELAY_SECONDS: '30s' is not a whole number (allowed: 0 to 3600)",
    );
    expect(() => SchedulingOptions.fromEnvironment(env({ SENTINEL_CATCH_UP_DELAY_SECONDS: '7200' }))).toThrow(
      'SENTINEL_CATCH_UP_DELAY_SECONDS: 7200 is out of range',
    );
  });
});
