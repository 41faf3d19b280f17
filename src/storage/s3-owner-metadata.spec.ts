import { describe, expect, it } from '@jest/globals';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { StoredObject } from './object-storage.js';
import { S3OwnerMetadata } from './s3-owner-metadata.js';
import type { S3OperationRunner } from './s3-operation-runner.js';

const at = new Date('2026-01-08T14:30:22Z');
const objects: StoredObject[] = [
  { key: 'sentinel-backup-2026-01-08-143022.tar.gz.age', size: 4242, lastModified: at, etag: '"e1"' },
  { key: 'sentinel-backup-2026-01-07-143022.tar.gz.age', size: 4343, lastModified: at, etag: '"e2"' },
];
const ME = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const [A, B, C] = ['q', 'p', 'z'].map((c) => `age1${c.repeat(58)}`);
const metadata: Record<string, Record<string, string>> = {
  [objects[0].key]: { 'sentinel-installation': ME, 'sentinel-recipients': A },
  [objects[1].key]: { 'sentinel-installation': OTHER, 'sentinel-recipients': `${B},${C}` },
};

/** A bucket answering HeadObject from `metadata`, counting the requests. */
function bucket() {
  const heads: string[] = [];
  const client = {
    send: async (command: unknown) => {
      if (!(command instanceof HeadObjectCommand)) throw new Error('unexpected request');
      const key = command.input.Key!;
      heads.push(key);
      const object = objects.find((o) => o.key === key)!;
      return { ContentLength: object.size, LastModified: object.lastModified, ETag: object.etag, Metadata: metadata[key] };
    },
  };
  const conn = { client, bucket: 'b', objectKey: (key: string) => key, sdk: { HeadObjectCommand } };
  const runner = {
    run: (_op: string, _key: unknown, _caller: unknown, fn: (c: unknown, s: unknown) => unknown) => fn(conn, { signal: new AbortController().signal }),
  };
  return { metadata: new S3OwnerMetadata(runner as unknown as S3OperationRunner), heads };
}

describe('S3OwnerMetadata', () => {
  it('reads an object’s recipients in the HeadObject of its owner and caches them by version, like the owner', async () => {
    const { metadata: owners, heads } = bucket();
    expect(await owners.owners(objects)).toEqual(
      new Map([
        [objects[0].key, ME],
        [objects[1].key, OTHER],
      ]),
    );
    expect(heads).toHaveLength(2);
    expect(await owners.recipients(objects)).toEqual(
      new Map([
        [objects[0].key, [A]],
        [objects[1].key, [B, C]],
      ]),
    );
    await owners.owners(objects);
    await owners.recipients(objects);
    expect(heads).toHaveLength(2);
  });

  it('reads a new version again', async () => {
    const { metadata: owners, heads } = bucket();
    await owners.recipients(objects);
    await owners.recipients([{ ...objects[0], etag: '"e1-replaced"' }]);
    expect(heads).toEqual([objects[0].key, objects[1].key, objects[0].key]);
  });
});
