import { isLockRefusal, lockFromHead } from './s3-object-lock.js';

describe('isLockRefusal: which refused deletes are locks', () => {
  const lock = { mode: 'governance' as const, retainUntil: new Date('2027-01-01T00:00:00Z') };

  it("takes R2's bucket lock rule answer as a lock, whatever else is known", () => {
    expect(isLockRefusal('ObjectLockedByBucketPolicy', 'Object is protected by a bucket lock rule', undefined)).toBe(true);
    expect(isLockRefusal('ObjectLockedByBucketPolicy', undefined, null)).toBe(true);
  });

  it('takes AccessDenied as a lock only when the object is known to have a retention or the store says so', () => {
    expect(isLockRefusal('AccessDenied', 'AccessDenied', lock)).toBe(true);
    expect(isLockRefusal('AccessDenied', 'forbidden by object lock', null)).toBe(true);
    expect(isLockRefusal('AccessDenied', 'AccessDenied', null)).toBe(false);
    expect(isLockRefusal('AccessDenied', undefined, undefined)).toBe(false);
  });

  it('never takes another error as a lock', () => {
    expect(isLockRefusal('InternalError', 'object lock', lock)).toBe(false);
    expect(isLockRefusal(undefined, undefined, lock)).toBe(false);
  });
});

describe('lockFromHead', () => {
  it('reads the mode and date HeadObject reports, and nothing when either is missing', () => {
    const until = new Date('2027-01-01T00:00:00Z');
    expect(lockFromHead({ ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until })).toEqual({ mode: 'compliance', retainUntil: until });
    expect(lockFromHead({ ObjectLockMode: 'GOVERNANCE' })).toBeNull();
    expect(lockFromHead({ ObjectLockRetainUntilDate: until })).toBeNull();
    expect(lockFromHead({})).toBeNull();
  });
});
