// Smoke test of the real S3 server the e2e tests use (Ceph radosgw on loopback, see
// test/setup/global-setup.ts): it is up, checks signatures, and stores bytes faithfully.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { GetObjectCommand, HeadObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createTestBucket, describeS3, startS3, stopS3, testS3, testS3Client } from './support/s3-server.js';

describeS3('test S3 server (radosgw)', () => {
  let client: S3Client;
  let bucket: string;

  beforeAll(async () => {
    client = testS3Client();
    bucket = await createTestBucket('smoke');
  });

  afterAll(async () => {
    await startS3(); // in case the restart test failed half-way
    client.destroy();
  });

  it('exposes the connection details', () => {
    const s3 = testS3();
    expect(s3.endpoint).toBe(`http://127.0.0.1:${s3.port}`);
    expect(s3.region).toBe('auto');
    expect(s3.accessKeyId).toMatch(/^\w{20}$/);
    expect(s3.secretAccessKey.length).toBeGreaterThanOrEqual(40);
  });

  it('creates a bucket, puts, lists and gets an object back byte for byte', async () => {
    const body = randomBytes(1024 * 1024 + 17); // binary, not a multiple of anything
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/db.sqlite3', Body: body }));

    const buckets = await client.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toContain(bucket);

    const list = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dir/' }));
    expect(list.Contents?.map((o) => [o.Key, o.Size])).toEqual([['dir/db.sqlite3', body.length]]);

    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/db.sqlite3' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.length).toBe(body.length);
    expect(bytes.equals(body)).toBe(true);
  });

  it('rejects a wrong secret with SignatureDoesNotMatch', async () => {
    const bad = testS3Client({
      credentials: { accessKeyId: testS3().accessKeyId, secretAccessKey: testS3().secretAccessKey + 'x' },
      maxAttempts: 1,
    });
    try {
      await expect(bad.send(new ListObjectsV2Command({ Bucket: bucket }))).rejects.toMatchObject({
        name: 'SignatureDoesNotMatch',
        $metadata: { httpStatusCode: 403 },
      });
    } finally {
      bad.destroy();
    }
  });

  it('stopS3/startS3 take radosgw down and bring it back with the data', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'keep.txt', Body: 'still here' }));
    const probe = testS3Client({ maxAttempts: 1 });
    try {
      await stopS3();
      // (inside jest the SDK wraps Node's network errors, which come from another realm, in a plain
      // Error: 'AWS SDK error wrapper for Error: connect ECONNREFUSED ...', without `code`)
      await expect(probe.send(new HeadObjectCommand({ Bucket: bucket, Key: 'keep.txt' }))).rejects.toThrow(/ECONNREFUSED/);
      await startS3();
      const started = Date.now();
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'keep.txt' }));
      expect(await got.Body!.transformToString()).toBe('still here');
      // writes too, and quickly (a killed radosgw's leftover watches used to stall the first write ~30 s)
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'after-restart.txt', Body: 'x' }));
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      probe.destroy();
    }
  });
});
