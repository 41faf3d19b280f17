import { describe, expect, it } from '@jest/globals';
import type { ServiceStatus, TargetStatus } from './api/status';
import { failureSinceSuccess, headline, isAlarm, statusChanges } from './target-status';

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

describe('failureSinceSuccess', () => {
  it('gives the last failure only when it is newer than the last success', () => {
    const failed = target('r2', 'failing', 'denied');
    expect(failureSinceSuccess(failed)?.message).toBe('denied');
    expect(failureSinceSuccess({ ...failed, last_success: '2026-03-01T09:00:00.000Z' })?.code).toBe('S3_AUTH_FAILED');
    expect(failureSinceSuccess({ ...failed, last_success: '2026-03-01T11:00:00.000Z' })).toBeNull();
    expect(failureSinceSuccess(target('r2', 'ok'))).toBeNull();
  });
});

describe('headline', () => {
  it('names the worst state of the enabled targets', () => {
    expect(headline(status(target('r2', 'failing', 'denied'), target('local', 'overdue')), null)).toEqual({ level: 'failing', text: 'Backup failing' });
    expect(headline(status(target('r2', 'never'), target('local', 'overdue')), null)?.text).toBe('Backup overdue');
    expect(headline(status(target('r2', 'disabled'), target('local', 'never')), null)?.text).toBe('Never backed up');
    expect(headline(status(target('r2', 'disabled'), target('local', 'ok')), null)?.text).toBe('Backups OK');
    expect(headline(status(target('r2', 'disabled'), target('local', 'disabled')), null)?.text).toBe('No backups enabled');
  });

  it('says a failed verification, and what only the overall state knows (a disk too small)', () => {
    const verified = { ...target('local', 'ok'), last_verification: { time: '2026-03-01T10:00:00.000Z', filename: 'a.tar.gz', verdict: 'failed' as const } };
    expect(headline(status(verified), null)?.text).toBe('Verification failed');
    expect(headline({ ...status(target('local', 'ok')), state: 'warning' }, null)?.text).toBe('Backup needs attention');
  });

  it('is unknown when the status cannot be read, and nothing before the first answer', () => {
    expect(headline(null, 'Service not answering')?.text).toBe('Backup status unknown');
    expect(headline(null, null)).toBeNull();
  });
});
