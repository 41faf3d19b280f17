import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** SHA-256 (hex) and size of an archive's bytes exactly as the target stores them. */
export interface StoredDigest {
  sha256: string;
  bytes: number;
}

/** A pass-through that hashes and counts what goes through it; `digest` is set once its input has ended. */
export interface StoredDigestStream extends Transform {
  readonly digest: StoredDigest | undefined;
}

export function storedDigest(): StoredDigestStream {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: StoredDigest | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      digest = { sha256: hash.digest('hex'), bytes };
      callback();
    },
  });
  return Object.defineProperty(stream, 'digest', { get: () => digest }) as StoredDigestStream;
}
