import { describe, expect, it } from '@jest/globals';
import { cronRunsOn, describeCron, parseCronExpression } from './cron-expression.js';
import { InvalidScheduleValue } from './invalid-schedule-value.js';

/** The refusal's message, failing the test when the expression is accepted. */
function refusal(text: string): string {
  try {
    parseCronExpression(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidScheduleValue);
    return (error as InvalidScheduleValue).about('r2_backup_schedule');
  }
  throw new Error(`'${text}' was accepted`);
}

describe('cron expression', () => {
  it('reads numbers, ranges, steps, lists and names into the values each field selects', () => {
    const e = parseCronExpression('  */15   2-4 1,15 jan-mar/2 MON-fri ');
    expect(e.text).toBe('*/15 2-4 1,15 jan-mar/2 MON-fri');
    expect(e.minutes).toEqual([0, 15, 30, 45]);
    expect(e.hours).toEqual([2, 3, 4]);
    expect(e.daysOfMonth).toEqual([1, 15]);
    expect(e.months).toEqual([1, 3]);
    expect(e.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseCronExpression('0 3 * * 7').daysOfWeek).toEqual([0]); // 7 is Sunday
    expect(parseCronExpression('10/20 * * * *').minutes).toEqual([10, 30, 50]); // a/n runs to the field's end
    expect(parseCronExpression('0 0 29 2 *').daysOfMonth).toEqual([29]); // every leap year: rare but real
  });

  it('days: both day fields restricted match either (Vixie cron); one restricted must match', () => {
    const either = parseCronExpression('0 3 1 * MON');
    expect(cronRunsOn(either, 6, 1, 1)).toBe(true); // Monday 1 June
    expect(cronRunsOn(either, 6, 8, 1)).toBe(true); // a Monday
    expect(cronRunsOn(either, 7, 1, 3)).toBe(true); // the 1st, a Wednesday
    expect(cronRunsOn(either, 7, 2, 4)).toBe(false);
    const mondays = parseCronExpression('0 3 * * MON');
    expect(cronRunsOn(mondays, 6, 8, 1)).toBe(true);
    expect(cronRunsOn(mondays, 7, 1, 3)).toBe(false);
    const stepped = parseCronExpression('0 3 */2 * MON'); // starts with '*': both must match
    expect(cronRunsOn(stepped, 6, 2, 1)).toBe(false);
    expect(cronRunsOn(stepped, 6, 1, 1)).toBe(true);
    expect(cronRunsOn(parseCronExpression('0 3 * 6 *'), 7, 1, 3)).toBe(false);
  });

  it.each([
    ['61 * * * *', /r2_backup_schedule: cron expression '61 \* \* \* \*': minute field '61': 61 is out of range 0-59/],
    ['0 24 * * *', /hour field '24': 24 is out of range 0-23/],
    ['0 3 32 * *', /day-of-month field '32': 32 is out of range 1-31/],
    ['0 3 0 * *', /day-of-month field '0': 0 is out of range 1-31/],
    ['0 3 * 13 *', /month field '13': 13 is out of range 1-12/],
    ['0 3 * foo *', /month field 'foo': 'foo' is not a month 1-12 or JAN-DEC/],
    ['0 3 * * 8', /day-of-week field '8': 8 is out of range 0-7/],
    ['0 3 * * MONDAY', /day-of-week field 'MONDAY': 'MONDAY' is not a weekday/],
    ['x * * * *', /minute field 'x': 'x' is not a minute 0-59/],
    ['0 3 L * *', /day-of-month field 'L': 'L' is not supported/],
    ['0 3 ? * 1', /day-of-month field '\?': '\?' is not supported/],
    ['0 3 * * 5#2', /day-of-week field '5#2': '5#2' is not supported/],
    ['5-2 3 * * *', /minute field '5-2': the range '5-2' goes backwards/],
    ['*/0 3 * * *', /minute field '\*\/0': the step 0 in '\*\/0' must be from 1 to 60/],
    ['0 */x * * *', /hour field '\*\/x': the step in '\*\/x' must be a whole number/],
    ['0 1,,2 * * *', /hour field '1,,2': has an empty list item/],
    ['0 1-2-3 * * *', /hour field '1-2-3': '1-2-3' is not a value or a range/],
    ['0 1- * * *', /hour field '1-': a range needs a value on each side/],
    ['0 3 * *', /has 4 fields, expected five: minute hour day-of-month month day-of-week/],
    ['0 0 3 * * *', /has 6 fields, expected five.*seconds are not supported/],
    ['', /has 0 fields, expected five/],
    ['@daily', /macros such as @daily are not supported: use the schedule 'daily'/],
    ['0 0 31 2 *', /day-of-month field '31': no month in the month field '2' has day 31, so the schedule would never run/],
    ['0 0 30,31 2 *', /would never run/],
    ['* * * * *', /minute field '\*': runs 1 minute apart \(00:00 and 00:01\); backups may run at most every 5 minutes/],
    ['*/4 * * * *', /runs 4 minutes apart/],
    ['0,3 1 * * *', /runs 3 minutes apart \(01:00 and 01:03\)/],
    ['58 23 * * *', null],
    ['2,58 0,23 * * *', /runs 4 minutes apart \(23:58 and 00:02\)/], // across midnight
  ])('%p: %p', (text, message) => {
    if (message === null) {
      expect(() => parseCronExpression(text)).not.toThrow();
      return;
    }
    expect(refusal(text)).toMatch(message);
  });

  it('allows every 5 minutes exactly, and quotes a long expression cut short', () => {
    expect(parseCronExpression('*/5 * * * *').minutes).toHaveLength(12);
    const long = `0 ${'1,'.repeat(80)}x * * *`;
    const message = refusal(long);
    expect(message.length).toBeLessThan(250);
    expect(message).toMatch(/cron expression '0 1,1,.*\.\.\.': hour field '1,1,.*\.\.\.': 'x' is not an hour 0-23/);
    expect(refusal('0 '.repeat(120))).toMatch(/at most 200 are allowed/);
  });

  it.each([
    ['15 * * * *', 'every hour at :15'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['5,35 * * * *', 'every hour at :05 and :35'],
    ['0 3 * * *', 'every day at 03:00'],
    ['30 2 * * 1,4', 'at 02:30 on Monday and Thursday'],
    ['0 22 * * MON-FRI', 'at 22:00 on Monday to Friday'],
    ['0 4 1,15 * *', 'at 04:00 on the 1st and 15th'],
    ['0 4 1 * SUN', 'at 04:00 on the 1st or on Sunday'],
    ['0 */6 * * *', 'every day at 00:00, 06:00, 12:00 and 18:00'],
    ['0 5 1 JAN,JUL *', 'at 05:00 on the 1st in January and July'],
    ['0,30 8-17 * * 1-5', 'at :00 and :30 past the hours 08, 09, 10, 11, 12, 13, 14, 15, 16 and 17 on Monday to Friday'],
  ])('describes %p as %p', (text, words) => {
    expect(describeCron(parseCronExpression(text))).toBe(words);
  });
});
