import { describe, expect, it } from '@jest/globals';
import { diagnoseActionError, diagnoseCheck, diagnoseError } from './diagnosis';

describe('diagnosis', () => {
  it('gives a failed check and a failed backup of the same cause the same heading', () => {
    const pairs: Array<[{ name: string; message: string }, string, 's3' | 'folder', string]> = [
      [{ name: 'credentials', message: 'The secret access key does not match (SignatureDoesNotMatch)' }, 'STORAGE_ACCESS_DENIED', 's3', 'Credentials rejected'],
      [{ name: 'endpoint', message: 'Cannot connect to http://127.0.0.1:1: ECONNREFUSED' }, 'STORAGE_UNAVAILABLE', 's3', 'Endpoint unreachable'],
      [{ name: 'bucket', message: "Bucket 'x' does not exist (NoSuchBucket)" }, 'STORAGE_NOT_CONFIGURED', 's3', 'Bucket not found'],
      [{ name: 'folder', message: 'Cannot use /srv/b: permission denied (EACCES)' }, 'STORAGE_ACCESS_DENIED', 'folder', 'Folder not writable'],
      [
        { name: 'folder', message: 'The folder exists; Too little free space: the next backup needs about 2 GB' },
        'INSUFFICIENT_DISK_SPACE',
        'folder',
        'Not enough disk space',
      ],
      [{ name: 'configuration', message: 'r2_bucket_name is not set' }, 'TARGET_NOT_CONFIGURED', 's3', 'Settings incomplete'],
    ];
    for (const [check, code, kind, heading] of pairs) {
      expect(diagnoseCheck(check, kind)).toEqual(diagnoseError(code, kind));
      expect(diagnoseCheck(check, kind).heading).toBe(heading);
    }
  });

  it('never heads a failure with the name of the check that would have passed', () => {
    const successNames = ['Endpoint reachable', 'Credentials accepted', 'Bucket exists', 'Folder exists', 'Can write', 'Can read back', 'Can delete'];
    for (const name of ['configuration', 'endpoint', 'credentials', 'bucket', 'folder', 'write', 'read', 'delete', 'object lock', 'something new']) {
      for (const kind of ['s3', 'folder'] as const) {
        const { heading, advice } = diagnoseCheck({ name, message: 'failed' }, kind);
        expect(successNames).not.toContain(heading);
        expect(advice.length).toBeGreaterThan(10);
      }
    }
  });

  it('tells a refused bucket listing (a permission) from a missing bucket', () => {
    expect(diagnoseCheck({ name: 'bucket', message: "Listing bucket 'b' was refused (AccessDenied): give the API token ..." }, 's3').heading).toBe(
      'Credentials rejected',
    );
  });

  it('reads the same code by the kind of place: an S3 refusal is the credentials, a folder refusal its permissions', () => {
    expect(diagnoseError('STORAGE_ACCESS_DENIED', 's3').heading).toBe('Credentials rejected');
    expect(diagnoseError('STORAGE_ACCESS_DENIED', 'folder').heading).toBe('Folder not writable');
    expect(diagnoseError('STORAGE_NOT_CONFIGURED', 'folder').heading).toBe('Folder not found');
  });

  it('has a heading and advice for an unknown or missing code', () => {
    expect(diagnoseError('SOMETHING_NEW', 's3').heading).toBe('Check failed');
    expect(diagnoseError(null, 'folder').advice).toMatch(/service log/);
  });

  it('heads a refused Delete of a backup increments depend on, and leaves an action error of an unknown code to its message', () => {
    expect(diagnoseActionError('BACKUP_HAS_DEPENDENTS', 'folder')).toEqual({
      heading: 'Other backups depend on it',
      advice: 'Delete the increments that need it first, newest first, or let rotation delete the whole chain once no kept backup needs it.',
    });
    expect(diagnoseActionError('STORAGE_ACCESS_DENIED', 's3')?.heading).toBe('Credentials rejected');
    expect(diagnoseActionError('SOMETHING_NEW', 's3')).toBeNull();
  });
});
