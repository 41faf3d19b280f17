import { Transform } from 'node:stream';

/** Test Connection's probe objects: a name no backup archive can have, so they are never taken for one. */
export const CONNECTION_TEST_PREFIX = '.sentinel-connection-test-';

/** The small body Test Connection writes and reads back. */
export function probeContent(): Buffer {
  return Buffer.from(`Sentinel Backup connection test, ${new Date().toISOString()}. Safe to delete.\n`);
}

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

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
