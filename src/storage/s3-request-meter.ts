import type { S3Client } from '@aws-sdk/client-s3';
import { type S3RequestClass, s3RequestClass } from './s3-request-class.js';

/**
 * The port through which the S3 adapter reports every request it sends, so the cost estimate counts the
 * operations the service really made (each part of a multipart upload, each retry the store answered).
 */
export abstract class S3RequestMeter {
  /** One request of `target` that reached the store (it answered, whatever the status). */
  abstract count(target: string, requestClass: S3RequestClass): void;
}

/** Statuses R2 does not bill: a request refused before authentication or authorization succeeded. */
const UNBILLED_STATUSES = new Set([401, 403]);

/**
 * Counts each HTTP attempt of `client`'s commands on `meter`: the step is `deserialize`, inside the SDK's retry
 * loop, so a retried request counts once per attempt, as the store bills it. A request that got no answer (no
 * connection, a time limit) reached no one and is not counted.
 */
export function meterS3Client(client: S3Client, target: string, meter: S3RequestMeter): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const requestClass = s3RequestClass(context.commandName ?? '');
      try {
        const result = await next(args);
        // Inside the deserializer the answer is the raw response, an error status included.
        const status = (result.response as { statusCode?: number } | undefined)?.statusCode;
        if (status === undefined || !UNBILLED_STATUSES.has(status)) meter.count(target, requestClass);
        return result;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
        if (status !== undefined && !UNBILLED_STATUSES.has(status)) meter.count(target, requestClass);
        throw error;
      }
    },
    { step: 'deserialize', name: 'sentinelRequestMeter', priority: 'low', override: true },
  );
}
