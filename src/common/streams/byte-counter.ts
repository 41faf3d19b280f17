import { Transform } from 'node:stream';

/** A pass-through that counts the bytes going through it. */
export interface ByteCounter extends Transform {
  readonly bytes: number;
}

export function byteCounter(onBytes?: (bytes: number) => void): ByteCounter {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buffer.length;
      onBytes?.(bytes);
      callback(null, buffer);
    },
  });
  return Object.defineProperty(counter, 'bytes', { get: () => bytes }) as ByteCounter;
}
