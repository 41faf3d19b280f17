import { describe, expect, it } from '@jest/globals';
import type { ServiceStatus, TargetStatus } from './api/status';
import { isAlarm, statusChanges } from './target-status';

function target(t: TargetStatus['target'], state: TargetStatus['state'], message?: string): TargetStatus {
  return {
    target: t,
    state,
    enabled: state !== 'disabled',
    last_success: null,
    last_attempt: null,
    last_result: message ? 'failed' : null,
    last_error: message ? { code: 'S3_AUTH_FAILED', message, time: '2026-03-01T10:00:00.000Z' } : null,
    last_backup: null,
    next_run: null,
    last_verification: null,
    overdue_at: null,
    overdue_since: null,
    consecutive_failures: message ? 1 : 0,
  };
}

const status = (...targets: TargetStatus[]): ServiceStatus => ({ state: 'ok', reasons: [], checked_at: '2026-03-01T10:00:00.000Z', targets });

describe('isAlarm', () => {
  it('is true for failing and overdue only', () => {
    expect(['ok', 'failing', 'overdue', 'never', 'disabled'].filter((s) => isAlarm(s as TargetStatus['state']))).toEqual(['failing', 'overdue']);
  });
});

describe('statusChanges', () => {
  it('announces nothing for the first answer (the page just opened)', () => {
    expect(statusChanges(null, status(target('r2', 'failing', 'denied')))).toEqual([]);
  });

  it('announces a target that starts failing, with why, and one that works again', () => {
    const before = status(target('r2', 'ok'), target('local', 'failing', 'disk full'));
    const after = status(target('r2', 'failing', 'The access key was refused'), target('local', 'ok'));
    expect(statusChanges(before, after)).toEqual(['Cloudflare R2 backups are failing: The access key was refused', 'Local folder backups work again.']);
  });

  it('announces nothing when no state changed', () => {
    const s = status(target('r2', 'overdue'), target('local', 'ok'));
    expect(statusChanges(s, status(target('r2', 'overdue'), target('local', 'ok')))).toEqual([]);
  });
});
