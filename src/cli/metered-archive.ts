import type { Readable } from 'node:stream';
import { byteCounter } from '../common/streams/byte-counter.js';
import type { ArchiveToUnpack } from '../restore/core/archive-unpacker.js';
import { ProgressMeter } from './progress-meter.js';

/**
 * `body` through a counting pass-through that feeds `meter`: the meter ends its line when the body ends,
 * or when it stops short. An error of `body` fails the pass-through with it; a consumer that stops
 * reading (destroys it) stops `body` too, so a download's connection is released as before.
 */
export function meteredBody(body: Readable, meter: ProgressMeter | undefined): Readable {
  if (!meter) return body;
  const counter = byteCounter((bytes) => meter.update(bytes));
  // As the adapters' bodies: an error before the consumer attached must not be an uncaught 'error'; it stays on the stream.
  counter.on('error', () => undefined);
  body.on('error', (error) => counter.destroy(error));
  counter.once('end', () => meter.finish());
  counter.once('close', () => {
    meter.stop();
    if (!body.destroyed) body.destroy();
  });
  body.pipe(counter);
  return counter;
}

/**
 * The archive with its bytes metered as they are read: where the command line hands an archive to the
 * service's restore core (verify, restore and its dry run), the core and its rules unchanged.
 */
export function meteredArchive(archive: ArchiveToUnpack, label: string, json: boolean): ArchiveToUnpack {
  return {
    name: archive.name,
    open: async (signal) => {
      const opened = await archive.open(signal);
      return { ...opened, body: meteredBody(opened.body, ProgressMeter.onStderr(label, opened.size, json)) };
    },
  };
}
