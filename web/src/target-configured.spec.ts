import { describe, expect, it } from '@jest/globals';
import type { Setting } from './api/client';
import { isConfigured } from './target-configured';

function settings(set: Record<string, boolean>): Setting[] {
  return Object.entries(set).map(([key, isSet]) => ({
    key,
    value: null,
    is_secret: false,
    is_set: isSet,
    readable: true,
    source: 'database',
    description: '',
  }));
}

describe('isConfigured', () => {
  it('is unknown (null) until the settings are loaded', () => {
    expect(isConfigured('r2', [])).toBeNull();
  });

  it('needs R2’s credentials, bucket, and an account ID or an endpoint', () => {
    const base = { r2_access_key_id: true, r2_secret_access_key: true, r2_bucket_name: true, r2_account_id: false, r2_endpoint: false };
    expect(isConfigured('r2', settings(base))).toBe(false);
    expect(isConfigured('r2', settings({ ...base, r2_endpoint: true }))).toBe(true);
    expect(isConfigured('r2', settings({ ...base, r2_account_id: true }))).toBe(true);
    expect(isConfigured('r2', settings({ ...base, r2_account_id: true, r2_secret_access_key: false }))).toBe(false);
  });

  it('needs the local folder', () => {
    expect(isConfigured('local', settings({ local_backup_dir: true }))).toBe(true);
    expect(isConfigured('local', settings({ local_backup_dir: false }))).toBe(false);
  });
});
