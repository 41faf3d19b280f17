import { Transform } from 'node:stream';

/** A pass-through that counts the bytes going through it. */
export interface ByteCounter extends Transform {
  readonly bytes: number;
}

/**
 * `onBytes` is called with the total so far after each chunk. `atEnd`, when given, is asked at the end
 * of the input with the total: an error it returns fails the stream instead of ending it (a length
 * check), so a reader never sees a clean end of a short body.
 */
export function byteCounter(onBytes?: (bytes: number) => void, atEnd?: (bytes: number) => Error | undefined): ByteCounter {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buffer.length;
      onBytes?.(bytes);
      callback(null, buffer);
    },
    flush(callback) {
      callback(atEnd?.(bytes));
    },
  });
  return Object.defineProperty(counter, 'bytes', { get: () => bytes }) as ByteCounter;
}
