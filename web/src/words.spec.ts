import { describe, expect, it } from '@jest/globals';
import { forPeople } from './words';

describe('forPeople', () => {
  it('names settings by their labels, not their keys', () => {
    expect(forPeople('R2 refused the credentials (403 AccessDenied): check r2_access_key_id and r2_secret_access_key in Settings')).toBe(
      'R2 refused the credentials (403 AccessDenied): check “Access Key ID” and “Secret Access Key” in Settings',
    );
    expect(forPeople('R2 backups are turned off (r2_backup_enabled = 0)')).toBe('R2 backups are turned off (“Enable R2 backups” is not ticked)');
    expect(forPeople('local_backup_dir must be an absolute path')).toBe('“Backup folder” must be an absolute path');
  });

  it('says where on the page to act instead of which API request to send', () => {
    expect(forPeople('No Local folder backup named x.tar.gz; GET /api/backups/local lists the backups')).toBe(
      'No Local folder backup named x.tar.gz; the Backups list shows them',
    );
    expect(forPeople('NAS backups are turned off (target nas: enabled = false; PATCH /api/targets/nas)')).toBe(
      'NAS backups are turned off (target nas: enabled = false; Edit in the Targets section)',
    );
    expect(forPeople('Restore a backup: a, b, then POST /api/backups/local/restore with {"filename": "..."}; or start afresh')).toBe(
      'Restore a backup: a, b, then restore one from the Backups list; or start afresh',
    );
    expect(forPeople('set it with PUT /api/costs/prices/r2')).toBe('set it with the prices form of the Cost card');
    expect(forPeople('anything with DELETE /api/whatever/else')).not.toMatch(/\/api\//);
  });

  it('names a target’s fields as the Targets form does, and leaves other words alone', () => {
    expect(forPeople('access_key_id is required: an access key with read and write access to the bucket')).toBe(
      '“Access key ID” is required: an access key with read and write access to the bucket',
    );
    expect(forPeople('sentinel-backup-2026-02-28-010000.tar.gz could not be read')).toBe('sentinel-backup-2026-02-28-010000.tar.gz could not be read');
  });
});
