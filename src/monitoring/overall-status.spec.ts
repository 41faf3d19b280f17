import { overallStatus } from './overall-status.js';
import type { TargetHealth } from './target-health.js';

function health(target: 'local' | 'r2', overrides: Partial<TargetHealth>): TargetHealth {
  return {
    target,
    state: 'ok',
    enabled: true,
    last_success: '2026-06-01T01:05:00.000Z',
    last_attempt: '2026-06-01T01:05:00.000Z',
    last_result: 'succeeded',
    last_error: null,
    last_backup: null,
    last_duration_ms: 1000,
    next_run: '2026-06-02T01:00:00.000Z',
    last_verification: null,
    overdue_at: '2026-06-02T07:05:00.000Z',
    overdue_since: null,
    consecutive_failures: 0,
    ...overrides,
  };
}

const disabled = (target: 'local' | 'r2'): TargetHealth => health(target, { state: 'disabled', enabled: false, next_run: null, overdue_at: null });

describe('overallStatus', () => {
  it('ok when every enabled target is ok; a disabled target does not count', () => {
    expect(overallStatus([health('local', {}), disabled('r2')])).toEqual({ state: 'ok', reasons: [] });
  });

  it('failing when a target is failing or overdue, naming each with its error', () => {
    const failing = health('r2', {
      state: 'failing',
      last_error: { code: 'STORAGE_ACCESS_DENIED', message: 'R2 access denied', time: '2026-06-02T03:00:00Z' },
    });
    const overdue = health('local', { state: 'overdue', overdue_since: '2026-06-02T07:05:00.000Z' });
    expect(overallStatus([overdue, failing])).toEqual({
      state: 'failing',
      reasons: ['Local backups are overdue: no successful backup since 2026-06-01T01:05:00.000Z', 'R2 backups are failing: R2 access denied'],
    });
  });

  it('failing when the last verification of an enabled target failed, though its backups succeed; not for a disabled one', () => {
    const verification = { time: '2026-06-01T04:30:00Z', filename: 'sentinel-backup-2026-06-01-010000.tar.gz', verdict: 'failed' as const };
    expect(overallStatus([health('local', { last_verification: verification }), disabled('r2')])).toMatchObject({
      state: 'failing',
      reasons: ['The last verification of Local backups failed: sentinel-backup-2026-06-01-010000.tar.gz would not restore'],
    });
    expect(overallStatus([health('local', {}), { ...disabled('r2'), last_verification: verification }]).state).toBe('ok');
  });

  it('warning when a target was never backed up, or when no target is enabled', () => {
    expect(overallStatus([health('local', { state: 'never', last_success: null }), disabled('r2')])).toEqual({
      state: 'warning',
      reasons: ['Local backups have not run yet: the first is due 2026-06-02T01:00:00.000Z'],
    });
    expect(overallStatus([disabled('local'), disabled('r2')])).toEqual({ state: 'warning', reasons: ['No backup target is enabled: nothing is backed up'] });
  });

  it('warning when a folder the next backup of an enabled target needs is short of space, with what it has and needs', () => {
    const low = { folder: '/srv/sentinel/data', freeBytes: 2 * 1024 * 1024, neededBytes: 100 * 1024 * 1024, targets: ['local', 'r2'] as const };
    expect(overallStatus([health('local', {}), disabled('r2')], [low])).toEqual({
      state: 'warning',
      reasons: ['Low disk space in /srv/sentinel/data: 2.00 MiB free, the next Local and R2 backup needs 100.0 MiB: free up space there'],
    });
    expect(overallStatus([health('local', { state: 'failing', last_error: { code: 'X', message: 'broken', time: '' } })], [low]).state).toBe('failing');
  });
});
