import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread } from 'node:worker_threads';

/**
 * V8's collector as its `gc` extension exposes it (V8's --expose-gc), called without options: a full collection at
 * once. (Node 20's V8 takes `gc({ type: 'major' })` and collects nothing: the dead buffers stay; Node 24's collects.)
 */
export type Collector = () => unknown;

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
 * Frees the large buffers a worker thread's stream of bytes leaves behind, every `intervalBytes` of it: a full
 * collection of the thread's JS heap, which is what frees them.
 *
 * Why: an ArrayBuffer's memory (every Buffer over 4 KiB: zlib's output blocks, age's chunks, the archive's chunks
 * before they are transferred) is returned only when V8 collects its object, and a thread whose JS heap barely grows,
 * as the archive's worker thread, collects only once its off-heap memory has grown by about 64 MB since the last
 * collection. A worker's heap is a few megabytes, so a full collection there costs a millisecond or two.
 *
 * For worker threads only. On the service's thread, collections asked for as the archive's chunks or a restore's
 * gunzip output passed lowered some peaks by 20-30 MB but made every later restore staging 30-40 % slower (forced
 * full collections of its 50-70 MB heap, and V8 then sizing that heap tighter): bench/results-notes.md, "Dead
 * buffers, the service's thread". Each worker thread has one (`threadBufferChurn`), so that its pipelines share
 * the count.
 */
export class BufferChurn {
  private since = 0;

  constructor(
    private readonly intervalBytes: number,
    private readonly collect: Collector | null = defaultCollector(),
  ) {}

  /** Counts `bytes` more through the stream; collects once `intervalBytes` have passed since the last time. */
  passed(bytes: number): void {
    this.since += bytes;
    if (this.since < this.intervalBytes || !this.collect) return;
    this.since = 0;
    this.collect();
  }
}

/** The collector BufferChurn uses unless given one: V8's, or none with SENTINEL_BUFFER_COLLECTIONS=off. */
export function defaultCollector(): Collector | null {
  return process.env.SENTINEL_BUFFER_COLLECTIONS === 'off' ? null : v8Collector();
}

/**
 * This thread's BufferChurn (a module is loaded once per thread): every pipeline step of the thread counts into it.
 * On the service's own thread it never collects (see BufferChurn), and V8's collector is not even taken there.
 */
export const threadBufferChurn = new BufferChurn(COLLECT_EVERY_BYTES, isMainThread ? null : defaultCollector());
