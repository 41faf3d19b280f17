import { Logger } from '@nestjs/common';
import { ErrorCode } from '../common/errors/error-code.js';
import type { S3TargetSettings } from './s3-connection.js';
import { S3ConnectionPool } from './s3-connection-pool.js';
import type { StorageOptions } from './storage-options.js';

const OPTIONS: StorageOptions = {
  operationTimeoutMs: 60_000,
  partSizeBytes: 5 * 1024 * 1024,
  maxAttempts: 3,
  retryBaseDelayMs: 100,
  connectTimeoutMs: 1_000,
  requestTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
};

/** Settings of a destination; building a connection sends nothing, so no server is needed. */
function settingsFor(bucket: string): S3TargetSettings {
  return { accountId: '', endpoint: 'http://127.0.0.1:9', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example', bucket, prefix: '', objectLock: null };
}

/** A pool whose settings are whatever `current` holds when it reads them, counting the reads. */
function poolOver(current: { settings: S3TargetSettings | Promise<S3TargetSettings> }) {
  const reads = { count: 0 };
  const pool = new S3ConnectionPool(
    async () => {
      reads.count += 1;
      return current.settings;
    },
    OPTIONS,
    new Logger('spec'),
  );
  return { pool, reads };
}

describe('S3ConnectionPool', () => {
  it('builds one connection from the settings and shares it between operations', async () => {
    const { pool, reads } = poolOver({ settings: settingsFor('one') });
    const a = await pool.lease();
    const b = await pool.lease();
    expect(b).toBe(a);
    expect(a.bucket).toBe('one');
    expect(reads.count).toBe(1);
    a.release();
    b.release();
    pool.drop();
  });

  it('after drop() builds a new connection from the settings as they are then; the old one is retired', async () => {
    const current = { settings: settingsFor('before') };
    const { pool, reads } = poolOver(current);
    const old = await pool.lease();
    current.settings = settingsFor('after');
    pool.drop();
    expect(old.retired).toBe(true);
    const fresh = await pool.lease();
    expect(fresh).not.toBe(old);
    expect(fresh.bucket).toBe('after');
    expect(reads.count).toBe(2);
    old.release();
    fresh.release();
    pool.drop();
  });

  it('does not keep a failure: incomplete settings reject naming what to set, and the next lease tries again', async () => {
    const current = { settings: { ...settingsFor(''), accessKeyId: '' } };
    const { pool } = poolOver(current);
    await expect(pool.lease()).rejects.toMatchObject({
      code: ErrorCode.StorageNotConfigured,
      message: expect.stringMatching(/r2_access_key_id.*r2_bucket_name/),
    });
    current.settings = settingsFor('fixed');
    const conn = await pool.lease();
    expect(conn.bucket).toBe('fixed');
    conn.release();
    pool.drop();
  });

  it('hands the settings of after a change to operations that waited while the old ones were being read', async () => {
    let finishOldRead!: (settings: S3TargetSettings) => void;
    const current: { settings: S3TargetSettings | Promise<S3TargetSettings> } = {
      settings: new Promise((resolve) => {
        finishOldRead = resolve;
      }),
    };
    const { pool } = poolOver(current);
    const waiting = pool.lease();
    await Promise.resolve();
    current.settings = settingsFor('new');
    pool.drop(); // the settings changed while the first read was under way
    finishOldRead(settingsFor('old'));
    const conn = await waiting;
    expect(conn.bucket).toBe('new');
    expect(conn.retired).toBe(false);
    conn.release();
    pool.drop();
  });
});
