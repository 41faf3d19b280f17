import { describe, expect, it } from '@jest/globals';
import { nextAttemptAt } from './delivery-attempts.js';

describe('nextAttemptAt', () => {
  const at = new Date('2025-01-01T12:00:00Z');
  const deadline = at.getTime() + 24 * 3_600_000;

  it('takes the backoff when the receiver asked for nothing or for less', () => {
    expect(nextAttemptAt(at, 60_000, null, deadline).getTime()).toBe(at.getTime() + 60_000);
    expect(nextAttemptAt(at, 60_000, 5_000, deadline).getTime()).toBe(at.getTime() + 60_000);
  });

  it("takes the receiver's Retry-After when it is longer", () => {
    expect(nextAttemptAt(at, 60_000, 3_600_000, deadline).getTime()).toBe(at.getTime() + 3_600_000);
  });

  it('never lets Retry-After push the next try past the give-up time: the last try is made at it', () => {
    const close = at.getTime() + 30 * 60_000;
    expect(nextAttemptAt(at, 60_000, 3_600_000, close).getTime()).toBe(close);
  });

  it('leaves a backoff that passes the give-up time as it is (the dispatcher gives up)', () => {
    const close = at.getTime() + 30_000;
    expect(nextAttemptAt(at, 60_000, 3_600_000, close).getTime()).toBe(at.getTime() + 60_000);
  });
});
