import { DeleteObjectCommand, DeleteObjectsCommand } from '@aws-sdk/client-s3';
import type { Logger } from '@nestjs/common';
import type { DeleteManyResult } from './object-storage.js';
import { objectKeyProblem } from './object-key.js';
import type { OperationScope } from './operation-scope.js';
import type { S3Connection } from './s3-connection.js';
import { scrubSecrets } from './s3-errors.js';
import { httpStatusOf } from './s3-object-head.js';
import type { S3OperationRunner } from './s3-operation-runner.js';

/** S3 answers at most 1,000 keys per DeleteObjects call. */
const DELETE_BATCH = 1000;

type KeyError = { Key?: string; Code?: string; Message?: string };

/**
 * Deletes in an S3 destination: DeleteObjects in batches of 1,000 with its per-key errors read (a
 * service without DeleteObjects gets one request per key), each failure said in words.
 */
export class S3ObjectDeleter {
  constructor(
    private readonly runner: S3OperationRunner,
    private readonly logger: Logger,
  ) {}

  async delete(key: string): Promise<void> {
    await this.runner.run(`delete of '${key}'`, key, undefined, async (conn, scope) => {
      await conn.client.send(new DeleteObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key) }), { abortSignal: scope.signal });
    });
  }

  /** Each key once; an invalid key is reported as failed, never sent. */
  async deleteMany(keys: string[]): Promise<DeleteManyResult> {
    const result: DeleteManyResult = { deleted: [], failed: [] };
    const valid: string[] = [];
    for (const key of new Set(keys)) {
      const problem = objectKeyProblem(key);
      if (problem) result.failed.push({ key, message: `Invalid key: ${problem}` });
      else valid.push(key);
    }
    if (valid.length === 0) return result;
    return this.runner.run(`delete of ${valid.length} objects`, undefined, undefined, async (conn, scope) => {
      for (let i = 0; i < valid.length; i += DELETE_BATCH) {
        const batch = valid.slice(i, i + DELETE_BATCH);
        let errors: KeyError[];
        try {
          const out = await conn.client.send(
            new DeleteObjectsCommand({ Bucket: conn.bucket, Delete: { Objects: batch.map((key) => ({ Key: conn.objectKey(key) })), Quiet: true } }),
            { abortSignal: scope.signal },
          );
          errors = out.Errors ?? [];
        } catch (error) {
          // A service without DeleteObjects (501): one request per key.
          if (httpStatusOf(error) !== 501) throw error;
          errors = await this.deleteOneByOne(conn, batch, scope);
        }
        const failedKeys = new Map<string, string>();
        for (const e of errors) {
          if (e.Key === undefined) continue;
          failedKeys.set(e.Key.startsWith(conn.prefix) ? e.Key.slice(conn.prefix.length) : e.Key, this.describeKeyError(conn, e.Code, e.Message));
        }
        for (const key of batch) {
          const message = failedKeys.get(key);
          if (message === undefined) result.deleted.push(key);
          else result.failed.push({ key, message });
        }
      }
      if (result.failed.length > 0)
        this.logger.warn(
          `R2 delete: ${result.failed.length} of ${keys.length} objects could not be deleted (first: ${result.failed[0].key}: ${result.failed[0].message})`,
        );
      return result;
    });
  }

  private async deleteOneByOne(conn: S3Connection, keys: string[], scope: OperationScope): Promise<KeyError[]> {
    const errors: KeyError[] = [];
    for (const key of keys) {
      try {
        await conn.client.send(new DeleteObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key) }), { abortSignal: scope.signal });
      } catch (error) {
        if (scope.aborted) throw error;
        const failure = conn.describe(error, `delete of '${key}'`, key);
        errors.push({ Key: key, Code: failure.cause, Message: failure.message });
      }
    }
    return errors;
  }

  private describeKeyError(conn: S3Connection, code: string | undefined, message: string | undefined): string {
    const text = scrubSecrets(message && message !== 'UnknownError' ? message : '', conn.secrets);
    if (code === 'AccessDenied') return `Access denied (AccessDenied): the API token needs delete permission (Object Read & Write) on bucket '${conn.bucket}'`;
    return `${code ?? 'Error'}${text ? `: ${text}` : ''}`;
  }
}
