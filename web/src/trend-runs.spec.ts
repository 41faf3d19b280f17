import { describe, expect, it } from '@jest/globals';
import type { BackupJob } from './api/client';
import { bytesAdded, failureShare, trendRunsByTarget } from './trend-runs';

function job(fields: Partial<BackupJob>): BackupJob {
  return {
    id: 'j',
    target: 'local',
    kind: 'backup',
    source: null,
    copied: null,
    trigger: 'manual',
    status: 'succeeded',
    phase: 'done',
    bytes_done: 0,
    bytes_total: 0,
    filename: 'a.tar.gz',
    size_bytes: 1000,
    created_at: '2026-12-03T10:00:00Z',
    started_at: '2026-12-03T10:00:00Z',
    finished_at: '2026-12-03T10:00:01Z',
    phase_started_at: null,
    duration_ms: 1000,
    error: null,
    error_code: null,
    sha256: null,
    encrypted: false,
    recipients: null,
    requested_kind: null,
    backup_kind: 'full',
    kind_reason: null,
    ...fields,
  };
}

describe('trendRunsByTarget', () => {
  it('keeps ended backups per target, oldest first, failed ones with their code and message; leaves out replications and running jobs', () => {
    const byTarget = trendRunsByTarget([
      job({ finished_at: '2026-12-03T12:00:00Z', size_bytes: 3000 }),
      job({ status: 'failed', finished_at: '2026-12-03T11:00:00Z', size_bytes: null, error: 'Access denied', error_code: 'STORAGE_ACCESS_DENIED' }),
      job({ finished_at: '2026-12-03T10:00:00Z', size_bytes: 1000 }),
      job({ kind: 'replication', target: 'nas', finished_at: '2026-12-03T10:30:00Z' }),
      job({ status: 'running', finished_at: null }),
      job({ target: 'r2', finished_at: '2026-12-03T09:00:00Z' }),
    ]);
    expect([...byTarget.keys()]).toEqual(['local', 'r2']);
    const local = byTarget.get('local') ?? [];
    expect(local.map((r) => [r.size, r.failure?.code ?? null])).toEqual([
      [1000, null],
      [null, 'STORAGE_ACCESS_DENIED'],
      [3000, null],
    ]);
    expect(local[1]?.failure?.message).toBe('Access denied');
  });
});

describe('bytesAdded and failureShare', () => {
  const runs = [
    ...(trendRunsByTarget([
      job({ finished_at: '2026-12-03T10:00:00Z', size_bytes: 1000 }),
      job({ finished_at: '2026-12-03T11:00:00Z', size_bytes: 1600 }),
      job({ status: 'failed', finished_at: '2026-12-03T11:30:00Z', size_bytes: null, error: 'x', error_code: 'BACKUP_FAILED' }),
      job({ finished_at: '2026-12-03T12:00:00Z', size_bytes: 1800 }),
    ]).get('local') ?? []),
  ];

  it('bytes added: the latest difference between successive archives and their average, failures skipped', () => {
    expect(bytesAdded(runs)).toEqual({ latest: 200, average: 400 });
    expect(bytesAdded(runs.slice(0, 1))).toBeNull();
  });

  it('the share of failed runs in words, the percentage written the locale’s way', () => {
    expect(failureShare(runs, 'de-DE')).toMatch(/^1 of 4 runs failed \(25\s%\)$/);
    expect(failureShare(runs, 'en-GB')).toBe('1 of 4 runs failed (25%)');
    expect(
      failureShare(
        runs.filter((r) => !r.failure),
        'en-GB',
      ),
    ).toBe('No failed runs (of 3)');
  });
});
