import { describe, expect, it } from '@jest/globals';
import { ApiError, type TargetInfo } from './api/client';
import { draftFieldOf, newTargetDraft, scheduleWords, targetDraftOf, targetRequestOf } from './target-form';

const stored: TargetInfo = {
  id: 'b2-eu',
  label: 'B2 EU',
  kind: 's3',
  built_in: false,
  enabled: true,
  endpoint: 'https://s3.eu-central-003.backblazeb2.com',
  region: 'eu-central-003',
  bucket: 'backups',
  prefix: 'office/',
  access_key_id_set: true,
  access_key_id: '003a1b2c3d4e5f60000000001',
  secret_access_key_set: true,
  credentials_unreadable: [],
  path: '',
  schedule: 'cron:30 2 * * SUN',
  retention_days: 90,
  keep_hourly: null,
  keep_daily: 7,
  keep_weekly: null,
  keep_monthly: null,
  keep_yearly: null,
  replicate_from: 'r2',
  object_lock: { mode: 'governance', days: 30 },
  settings_keys: null,
  incremental: { enabled: false, full_every: 'daily', max_chain_ratio: 0.5 },
};

describe('target form', () => {
  it('shows the stored access key ID, and sends it only when it was changed', () => {
    const draft = targetDraftOf(stored);
    expect(draft.access_key_id).toBe('003a1b2c3d4e5f60000000001');
    expect(draft.secret_access_key).toBe('');
    expect(targetRequestOf({ ...draft, access_key_id: ' 003ffff ' }, stored)).toEqual({ access_key_id: '003ffff' });
    expect(targetRequestOf({ ...draft, access_key_id: '' }, stored)).toEqual({});
  });

  it('a stored target unchanged sends nothing; secrets left empty are kept', () => {
    expect(targetRequestOf(targetDraftOf(stored), stored)).toEqual({});
  });

  it('sends only what changed, in the API’s shapes (cron joined, empty keep_* as null, numbers as numbers)', () => {
    const draft = { ...targetDraftOf(stored), cron: '0 4 * * *', keep_daily: '', keep_weekly: '4', lock_days: '60', replicate_from: '' };
    expect(targetRequestOf(draft, stored)).toEqual({
      schedule: 'cron:0 4 * * *',
      keep_daily: null,
      keep_weekly: 4,
      replicate_from: null,
      object_lock: { mode: 'governance', days: 60 },
    });
  });

  it('sends a secret only when typed, and text the API must judge as typed', () => {
    const draft = { ...targetDraftOf(stored), secret_access_key: 'new-secret', retention_days: 'ninety' };
    expect(targetRequestOf(draft, stored)).toEqual({ secret_access_key: 'new-secret', retention_days: 'ninety' });
  });

  it('a new folder target sends its id, kind and folder fields, no S3 fields', () => {
    const body = targetRequestOf({ ...newTargetDraft(), id: 'nas', path: '/mnt/nas' }, null);
    expect(body).toMatchObject({ id: 'nas', kind: 'folder', label: 'nas', path: '/mnt/nas', schedule: 'daily', retention_days: 90, replicate_from: null });
    expect(body).not.toHaveProperty('bucket');
    expect(body).not.toHaveProperty('object_lock');
  });

  it('puts an API error at the input it names', () => {
    const draft = targetDraftOf(stored);
    const error = (field: string) => new ApiError(400, 'INVALID_INPUT', `${field} is wrong`, { field });
    expect(draftFieldOf(error('schedule'), draft)).toBe('cron');
    expect(draftFieldOf(error('schedule'), { ...draft, schedule: 'daily' })).toBe('schedule');
    expect(draftFieldOf(error('object_lock.days'), draft)).toBe('lock_days');
    expect(draftFieldOf(error('object_lock.mode'), draft)).toBe('lock_mode');
    expect(draftFieldOf(error('bucket'), draft)).toBe('bucket');
    expect(draftFieldOf(error('settings'), draft)).toBeUndefined();
    expect(draftFieldOf(new Error('network'), draft)).toBeUndefined();
  });

  it('describes schedules in words (the built-in local at 01:00)', () => {
    expect(scheduleWords({ id: 'local', schedule: 'daily', built_in: true })).toBe('every day at 01:00');
    expect(scheduleWords({ id: 'nas', schedule: 'weekly', built_in: false })).toBe('every Sunday at 03:00');
    expect(scheduleWords({ id: 'nas', schedule: 'cron:30 2 * * *', built_in: false })).toBe('cron 30 2 * * *');
  });

  it('edits the incremental policy: full every day, week or N increments, the chain share as a percentage; sent only when changed', () => {
    const draft = targetDraftOf({ ...stored, incremental: { enabled: true, full_every: 24, max_chain_ratio: 0.125 } });
    expect(draft).toMatchObject({ incremental_enabled: true, full_every: 'count', full_every_count: '24', max_chain_percent: '12.5' });
    expect(targetRequestOf(targetDraftOf(stored), stored)).toEqual({});
    expect(targetRequestOf({ ...targetDraftOf(stored), incremental_enabled: true, full_every: 'weekly', max_chain_percent: '30' }, stored)).toEqual({
      incremental: { enabled: true, full_every: 'weekly', max_chain_ratio: 0.3 },
    });
    expect(targetRequestOf({ ...targetDraftOf(stored), incremental_enabled: true, full_every: 'count', full_every_count: '48' }, stored)).toEqual({
      incremental: { enabled: true, full_every: 48, max_chain_ratio: 0.5 },
    });
    // Text the API must judge goes as typed, and its error lands at the input that holds it.
    expect(targetRequestOf({ ...draft, full_every_count: 'many' }, stored).incremental).toMatchObject({ full_every: 'many' });
    const error = (field: string) => new ApiError(400, 'INVALID_INPUT', `${field} is wrong`, { field });
    expect(draftFieldOf(error('incremental.full_every'), draft)).toBe('full_every_count');
    expect(draftFieldOf(error('incremental.full_every'), { ...draft, full_every: 'daily' })).toBe('full_every');
    expect(draftFieldOf(error('incremental.max_chain_ratio'), draft)).toBe('max_chain_percent');
  });
});
