import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread } from 'node:worker_threads';

/** V8's collector as its `gc` extension exposes it (V8's --expose-gc). */
export type Collector = (options: { type: 'major' | 'minor' }) => unknown;

/**
 * How many bytes a pipeline's thread passes between two collections: a few of its chunks' worth (the archive's
 * chunks are 1 MiB, zlib's blocks 1 MiB in and about half out), so dead buffers stay within a few tens of
 * megabytes, and about one collection per second of a backup.
 */
export const COLLECT_EVERY_BYTES = 16 * 1024 * 1024;

let exposed: Collector | null | undefined;

/**
 * V8's collector, taken once from a fresh context where --expose-gc installs it (set here, at run time, so that the
 * way the service is started does not matter); null where that fails, and then nothing is collected early.
 */
export function v8Collector(): Collector | null {
  if (exposed !== undefined) return exposed;
  try {
    const existing = (globalThis as { gc?: Collector }).gc;
    if (typeof existing === 'function') return (exposed = existing);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    exposed = typeof gc === 'function' ? (gc as Collector) : null;
  } catch {
    exposed = null;
  }
  return exposed;
}

/**
 * Frees the large buffers a stream of bytes leaves behind, every `intervalBytes` of it: a collection of the thread's
 * JS heap, which is what frees them.
 *
 * Why: an ArrayBuffer's memory (every Buffer over 4 KiB: zlib's output blocks, the archive's chunks transferred
 * between threads, upload parts) is returned only when V8 collects its object, and a thread whose JS heap barely
 * grows, as these pipelines' threads, collects only once its off-heap memory has grown by about 64 MB since the
 * last collection. So each thread that passes an archive through kept up to that much of dead buffers, and the
 * service's peak memory rose with it (issues 14 and 19: at most 200 MB; the figures are in bench/results.md,
 * "Dead buffers"). A collection is cheap where it is asked for: in a worker thread a full one (its heap is a few
 * megabytes); on the service's thread a young-generation one only (a millisecond or two: a full collection of its
 * 50-70 MB heap would pause the API for tens of milliseconds), which frees the chunks that died young, as a
 * pipeline's do (pushed, written, dropped). Each thread has one (`threadBufferChurn`), so that concurrent pipelines
 * of a thread share its count.
 */
export class BufferChurn {
  private since = 0;

  constructor(
    private readonly intervalBytes: number,
    private readonly collect: Collector | null = defaultCollector(),
    private readonly onServiceThread = isMainThread,
  ) {}

  /** Counts `bytes` more through the stream; collects once `intervalBytes` have passed since the last time. */
  passed(bytes: number): void {
    this.since += bytes;
    if (this.since < this.intervalBytes || !this.collect) return;
    this.since = 0;
    this.collect({ type: this.onServiceThread ? 'minor' : 'major' });
  }
}

/**
 * The collector BufferChurn uses unless given one: V8's, or none with SENTINEL_BUFFER_COLLECTIONS=off. The test suite
 * turns them off for the services it runs inside its own workers (test/setup/env.ts): a worker's heap there is
 * hundreds of megabytes of test modules, and a full collection of it costs what the service's never does. The
 * services the tests start as processes keep them.
 */
export function defaultCollector(): Collector | null {
  return process.env.SENTINEL_BUFFER_COLLECTIONS === 'off' ? null : v8Collector();
}

/** This thread's BufferChurn (a module is loaded once per thread): every pipeline step of the thread counts into it. */
export const threadBufferChurn = new BufferChurn(COLLECT_EVERY_BYTES);
