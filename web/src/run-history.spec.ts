import { describe, expect, it } from '@jest/globals';
import type { Run } from './api/client';
import { isFailure, latestVerifications, resultText, runsQuery, triggerText, verificationMark } from './run-history';

function run(fields: Partial<Run>): Run {
  return {
    id: 'event-1',
    kind: 'verification',
    target: 'local',
    started_at: '2026-03-01T10:00:00.000Z',
    finished_at: '2026-03-01T10:00:05.000Z',
    trigger: 'manual',
    result: 'succeeded',
    duration_ms: 5000,
    size_bytes: null,
    error_code: null,
    message: 'Verified: all 7 databases passed every check',
    file: 'sentinel-backup-2026-03-01-090000.tar.gz',
    backup_kind: null,
    ...fields,
  };
}

const at = (iso: string) => `at ${iso}`;

describe('run history helpers', () => {
  it('asks for every target and kind when no filter is chosen, and for one of each when chosen', () => {
    expect(runsQuery({ target: null, kind: null }, 50)).toEqual({ limit: 50 });
    expect(runsQuery({ target: 'r2', kind: 'restore' }, 50)).toEqual({ target: 'r2', kind: 'restore', limit: 50 });
  });

  it('marks failures with ✗ and a word, successes with ✓, the rest with the word alone', () => {
    expect(resultText(run({ result: 'failed' }))).toBe('✗ Failed');
    expect(resultText(run({ result: 'rolled_back' }))).toBe('✗ Rolled back');
    expect(resultText(run({ result: 'succeeded' }))).toBe('✓ Succeeded');
    expect(resultText(run({ result: 'staged' }))).toBe('Staged');
    expect(resultText(run({ result: 'something_new' }))).toBe('something_new');
    expect(isFailure(run({ result: 'cancelled' }))).toBe(false);
    expect(triggerText('after_backup')).toBe('After a backup');
    expect(triggerText('cli')).toBe('Command line');
  });

  it('keeps the newest verification of each file of the target, a failed one included', () => {
    const older = run({ id: 'event-1', finished_at: '2026-03-01T10:00:05.000Z' });
    const newer = run({ id: 'event-2', finished_at: '2026-03-02T10:00:05.000Z', result: 'failed', error_code: 'STORAGE_UNAVAILABLE', message: 'unreachable' });
    const other = run({ id: 'event-3', file: 'sentinel-backup-2026-02-01-090000.tar.gz' });
    const elsewhere = run({ id: 'event-4', target: 'r2' });
    const backup = run({ id: 'job', kind: 'backup' });
    const latest = latestVerifications([newer, older, other, elsewhere, backup], 'local');
    expect([...latest.keys()].sort()).toEqual(['sentinel-backup-2026-02-01-090000.tar.gz', 'sentinel-backup-2026-03-01-090000.tar.gz']);
    expect(latest.get('sentinel-backup-2026-03-01-090000.tar.gz')).toBe(newer);
  });

  it('words the mark: Verified with its time, or the failure with its time and reason', () => {
    expect(verificationMark(run({}), at)).toEqual({ ok: true, text: '✓ Verified at 2026-03-01T10:00:05.000Z' });
    expect(verificationMark(run({ result: 'failed', message: 'ledger.db: the checksum does not match' }), at)).toEqual({
      ok: false,
      text: '✗ Verification failed at 2026-03-01T10:00:05.000Z: ledger.db: the checksum does not match',
    });
    expect(verificationMark(run({ result: 'failed', message: null, error_code: 'STORAGE_UNAVAILABLE' }), at).text).toMatch(/: STORAGE_UNAVAILABLE$/);
  });
});
